// The parts of `qrcode` (MIT, no bundled types) that the safety-number screen uses.
declare module 'qrcode' {
  export interface QRCodeSegment {
    data: string | Uint8Array;
    mode: 'byte' | 'alphanumeric' | 'numeric';
  }
  export interface QRCodeToStringOptions {
    type: 'svg';
    errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
    margin?: number;
    width?: number;
    color?: { dark?: string; light?: string };
  }
  export function toString(data: string | QRCodeSegment[], options: QRCodeToStringOptions): Promise<string>;
  const QRCode: { toString: typeof toString };
  export default QRCode;
}
