/**
 * The one-time code a new device shows to be linked: `<linkId>.<linkToken>.<ephemeralPublicKey>`
 * (UUID, then base64url of 32 bytes twice). Page-safe: no crypto engine, so the page bundle stays
 * small; the sealing itself is in `device-link.ts`, which runs in the worker.
 * @module
 */
import { DEVICE_LINK_PUBLIC_KEY_BYTES, DEVICE_LINK_TOKEN_BYTES } from '@pairchat/messaging';

export const UUID_BYTES = 16;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why linking failed, for the message shown to the user (crosses the worker boundary as `name` + `message`). */
export class DeviceLinkError extends Error {
  override readonly name = 'DeviceLinkError';
}

/** What the new device's code carries. */
export interface DeviceLinkCode {
  /** Lowercase UUID. */
  linkId: string;
  /** base64url, 32 bytes. */
  linkToken: string;
  /** The new device's ephemeral X25519 public key (32 bytes). */
  ephemeralPublicKey: Uint8Array;
}

/** Standard padded base64 (the REST encoding of bytes). */
export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** Decodes canonical standard base64 of exactly `length` bytes. @throws DeviceLinkError otherwise */
export function fromBase64(text: unknown, field: string, length?: number): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    throw new DeviceLinkError(`${field}: not base64`);
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new DeviceLinkError(`${field}: not base64`);
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== text) throw new DeviceLinkError(`${field}: not canonical base64`);
  if (length !== undefined && bytes.length !== length) throw new DeviceLinkError(`${field}: expected ${length} bytes`);
  return bytes;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string, field: string, length: number): Uint8Array {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new DeviceLinkError(`${field}: not base64url`);
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4), field);
  if (bytes.length !== length) throw new DeviceLinkError(`${field}: expected ${length} bytes`);
  return bytes;
}

/** The 16 bytes of a (lowercase) UUID: a link id or an account id. @throws DeviceLinkError unless it is one */
export function linkIdBytes(uuid: string, field = 'linkId'): Uint8Array {
  if (typeof uuid !== 'string' || !UUID_RE.test(uuid)) throw new DeviceLinkError(`${field}: expected a UUID`);
  const hex = uuid.replaceAll('-', '');
  return Uint8Array.from({ length: UUID_BYTES }, (_, i) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** The text form of a code (also the QR payload). */
export function formatDeviceLinkCode(code: DeviceLinkCode): string {
  linkIdBytes(code.linkId);
  fromBase64Url(code.linkToken, 'linkToken', DEVICE_LINK_TOKEN_BYTES);
  if (code.ephemeralPublicKey.length !== DEVICE_LINK_PUBLIC_KEY_BYTES) {
    throw new DeviceLinkError(`ephemeralPublicKey: expected ${DEVICE_LINK_PUBLIC_KEY_BYTES} bytes`);
  }
  return `${code.linkId}.${code.linkToken}.${toBase64Url(code.ephemeralPublicKey)}`;
}

/**
 * Parses what the user pasted or scanned. Surrounding whitespace is ignored and the link id may be
 * upper case; anything else that is not exactly a code is refused.
 * @throws DeviceLinkError naming the part that is wrong
 */
export function parseDeviceLinkCode(text: unknown): DeviceLinkCode {
  if (typeof text !== 'string') throw new DeviceLinkError('the code must be text');
  const parts = text.trim().split('.');
  if (parts.length !== 3) throw new DeviceLinkError('this is not a device link code');
  const [id, linkToken, key] = parts;
  const linkId = id.toLowerCase();
  linkIdBytes(linkId);
  fromBase64Url(linkToken, 'linkToken', DEVICE_LINK_TOKEN_BYTES);
  return {
    linkId,
    linkToken,
    ephemeralPublicKey: fromBase64Url(key, 'ephemeralPublicKey', DEVICE_LINK_PUBLIC_KEY_BYTES),
  };
}
