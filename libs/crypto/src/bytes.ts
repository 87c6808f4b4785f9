/**
 * Byte helpers shared by every module: input checks at the public edge, concatenation,
 * constant-time comparison, big-endian integers, hex, and best-effort wiping.
 * @module
 */

/** A source of cryptographic randomness: returns `n` fresh random bytes. Injected so tests can be deterministic. */
export type Rng = (n: number) => Uint8Array;

/** The default RNG: `globalThis.crypto.getRandomValues` (Node 20 and every browser). */
export const defaultRng: Rng = (n) => {
  const out = new Uint8Array(n);
  // getRandomValues is limited to 65536 bytes per call.
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
};

/**
 * True for a Uint8Array, including one from another realm (iframe, worker, test sandbox), as
 * noble's `isBytes` does.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && (value as { constructor?: { name?: string } }).constructor?.name === 'Uint8Array')
  );
}

/**
 * Asserts that `value` is a Uint8Array (of exactly `length` bytes, if given).
 * @param name - argument name used in the error message
 * @throws TypeError if not a Uint8Array; RangeError on a wrong length
 */
export function abytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${name}: expected Uint8Array`);
  if (length !== undefined && value.length !== length)
    throw new RangeError(`${name}: expected ${length} bytes, got ${value.length}`);
  return value;
}

/**
 * Asserts that `value` is an integer in `[min, max]`.
 * @throws TypeError if not an integer; RangeError if out of range
 */
export function aint(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name}: expected an integer`);
  if (value < min || value > max) throw new RangeError(`${name}: expected ${min}..${max}, got ${value}`);
  return value;
}

/** Concatenates byte arrays into a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths, not on their contents.
 * Use for MACs and anything secret-derived. (The JIT gives no hard guarantee; this is the usual
 * best effort: no early exit, OR-accumulate differences.)
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Returns a copy of `a` (a fresh buffer, never a view of the input). */
export function copyBytes(a: Uint8Array): Uint8Array {
  return Uint8Array.from(a);
}

/**
 * Overwrites buffers with zeros. JS cannot guarantee erasure: the GC may have moved or copied the
 * bytes, strings and BigInts derived from them are immutable, and engines may keep JIT copies.
 * This only shortens the window in which the secret sits in the buffers we own.
 */
export function wipe(...bufs: (Uint8Array | undefined | null)[]): void {
  for (const b of bufs) if (b) b.fill(0);
}

/** Big-endian 32-bit encoding of an unsigned integer. */
export function be32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

/** Big-endian 64-bit encoding of a non-negative safe integer or bigint. */
export function be64(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false);
  return out;
}

/** Lower-case hex encoding. */
export function toHex(a: Uint8Array): string {
  let s = '';
  for (const b of a) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Decodes lower- or upper-case hex.
 * @throws TypeError on a non-string; RangeError on odd length or a non-hex character
 */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError('hex: expected string');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('hex: invalid hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UTF-8 encoding of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Standard base64 (with padding); used by the record codecs. */
export function toBase64(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < a.length; i += 0x8000) s += String.fromCharCode(...a.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Decodes standard base64. @throws RangeError on invalid input */
export function fromBase64(s: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new RangeError('base64: invalid input');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** base64url without padding (RFC 4648 §5), as JWK uses. */
export function toBase64Url(a: Uint8Array): string {
  return toBase64(a).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url with or without padding. @throws RangeError on invalid input */
export function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new RangeError('base64url: invalid input');
  const b64 = s.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}
