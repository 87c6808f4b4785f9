/**
 * The one-time code a new device shows to be linked:
 * `<linkId>.<linkToken>.<ephemeralPublicKey>.<codeSecret>` (UUID, then base64url of 32 bytes three
 * times). The token is what the server checks; the key and the secret never reach the server, only
 * the device the user gives the code to. Page-safe: no crypto engine, so the page bundle stays
 * small; the sealing itself is in `device-link.ts`, which runs in the worker.
 * @module
 */
import { DEVICE_LINK_PUBLIC_KEY_BYTES, DEVICE_LINK_TOKEN_BYTES } from '@pairchat/messaging';
import { isUuid } from './uuid.js';

/**
 * Random bytes of the code secret, mixed into the sealing key (see `device-link.ts`): 256 bits, so
 * someone who saw everything the server sees still cannot make a seal the new device accepts.
 */
export const DEVICE_LINK_CODE_SECRET_BYTES = 32;

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
  /** The new device's ephemeral X25519 public key (32 bytes); only in the code. */
  ephemeralPublicKey: Uint8Array;
  /** 32 random bytes made in the new device's worker; only in the code, never sent to the server. */
  codeSecret: Uint8Array;
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

function requireLinkId(linkId: string): void {
  if (!isUuid(linkId) || linkId !== linkId.toLowerCase()) throw new DeviceLinkError('linkId: expected a UUID');
}

function requireLength(field: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new DeviceLinkError(`${field}: expected ${length} bytes`);
}

/** The text form of a code (also the QR payload). */
export function formatDeviceLinkCode(code: DeviceLinkCode): string {
  requireLinkId(code.linkId);
  fromBase64Url(code.linkToken, 'linkToken', DEVICE_LINK_TOKEN_BYTES);
  requireLength('ephemeralPublicKey', code.ephemeralPublicKey, DEVICE_LINK_PUBLIC_KEY_BYTES);
  requireLength('codeSecret', code.codeSecret, DEVICE_LINK_CODE_SECRET_BYTES);
  return `${code.linkId}.${code.linkToken}.${toBase64Url(code.ephemeralPublicKey)}.${toBase64Url(code.codeSecret)}`;
}

/**
 * Parses what the user pasted or scanned. Surrounding whitespace is ignored and the link id may be
 * upper case; anything else that is not exactly a code is refused.
 * @throws DeviceLinkError naming the part that is wrong
 */
export function parseDeviceLinkCode(text: unknown): DeviceLinkCode {
  if (typeof text !== 'string') throw new DeviceLinkError('the code must be text');
  const parts = text.trim().split('.');
  if (parts.length !== 4) throw new DeviceLinkError('this is not a device link code');
  const [id, linkToken, key, secret] = parts;
  const linkId = id.toLowerCase();
  requireLinkId(linkId);
  fromBase64Url(linkToken, 'linkToken', DEVICE_LINK_TOKEN_BYTES);
  return {
    linkId,
    linkToken,
    ephemeralPublicKey: fromBase64Url(key, 'ephemeralPublicKey', DEVICE_LINK_PUBLIC_KEY_BYTES),
    codeSecret: fromBase64Url(secret, 'codeSecret', DEVICE_LINK_CODE_SECRET_BYTES),
  };
}
