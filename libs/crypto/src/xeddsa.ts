/**
 * XEdDSA as libsignal implements it (wire notes §1.2, libsignal `rust/core/src/curve/curve25519.rs`):
 * Ed25519-style signatures made with an X25519 private key and checked against an X25519 public key.
 *
 * libsignal differs from the XEdDSA paper: instead of negating `a` to force the Edwards sign bit to
 * 0, it signs with `a` as is and stores the sign bit of `A` in the top bit of signature byte 63.
 * Verification rebuilds `A` from the Montgomery `u` and that bit. Built on `@noble/curves` Edwards
 * point arithmetic and `@noble/hashes` SHA-512; WebCrypto Ed25519 cannot express this scheme.
 *
 * Verification needs no secret, and an XEdDSA signature checks like an Ed25519 one under the
 * converted key `A` (the XEdDSA paper's own definition): {@link xeddsaVerifyAsync} hands it to
 * WebCrypto Ed25519 where the platform is probed to check exactly as libsignal does.
 *
 * Timing: signing multiplies the secret scalars with noble's constant-time `multiply`; verification
 * only handles public data and uses `multiplyUnsafe`. BigInt arithmetic in JS is not guaranteed
 * constant-time; this matches noble's own stance.
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { abytes, concat, equalBytes, fromHex, toBase64Url, wipe } from './bytes.js';
import { KeyCache } from './key-cache.js';
import { CURVE25519_KEY_LENGTH, SIGNATURE_LENGTH, XEDDSA_RANDOM_LENGTH } from './constants.js';

const Point = ed25519.Point;
const P = Point.Fp.ORDER;
const L = Point.Fn.ORDER;

/** Hash prefix for the nonce: 0xFE then 31 × 0xFF (the XEdDSA paper's hash_1 domain separator). */
const NONCE_PREFIX = Uint8Array.from([0xfe, ...new Array(31).fill(0xff)]);

const modP = (x: bigint) => ((x % P) + P) % P;
const modL = (x: bigint) => ((x % L) + L) % L;
const invP = (x: bigint) => Point.Fp.inv(modP(x));

/** Applies X25519 clamping to a copy of a 32-byte scalar. */
export function clampScalar(k: Uint8Array): Uint8Array {
  const out = Uint8Array.from(k);
  out[0] &= 248;
  out[31] &= 127;
  out[31] |= 64;
  return out;
}

/**
 * Maps a Montgomery u-coordinate to the Edwards point with the given sign bit.
 * `u` is taken mod p with bit 255 ignored; `u = p − 1` (no Edwards image) and points that do not
 * decompress give `null`.
 */
export function montgomeryToEdwards(u32: Uint8Array, signBit: number): InstanceType<typeof Point> | null {
  const yb = edwardsEncoding(u32, signBit);
  if (!yb) return null;
  try {
    return Point.fromBytes(yb);
  } catch {
    return null;
  }
}

/**
 * The Edwards encoding `y || sign` of the point with Montgomery coordinate `u` (birational map
 * `y = (u − 1) / (u + 1)`), without decompressing it: `null` for `u = p − 1`, which has no image.
 * Whether the encoding names a curve point is left to the decoder.
 */
function edwardsEncoding(u32: Uint8Array, signBit: number): Uint8Array | null {
  const ub = Uint8Array.from(u32);
  ub[31] &= 0x7f;
  const u = modP(bytesToNumberLE(ub));
  if (u === P - 1n) return null;
  const y = modP((u - 1n) * invP(u + 1n));
  const yb = numberToBytesLE(y, 32);
  yb[31] |= signBit ? 0x80 : 0;
  return yb;
}

/**
 * libsignal's `is_canonical` check on a Montgomery u-coordinate (used on Alice's base key):
 * u < 2^255 − 19 with bit 255 clear, and the sign-0 Edwards image exists and is torsion-free, so
 * low-order and twist points are rejected.
 * @param u32 - raw 32-byte u-coordinate (no type byte)
 */
export function isCanonicalMontgomery(u32: Uint8Array): boolean {
  abytes('u', u32, CURVE25519_KEY_LENGTH);
  if (u32[31] & 0x80) return false;
  if (bytesToNumberLE(u32) >= P) return false;
  const A = montgomeryToEdwards(u32, 0);
  if (!A) return false;
  return A.isTorsionFree() && !A.is0();
}

/**
 * Signs `message` with an X25519 private key (libsignal's XEdDSA variant).
 * @param privateKey - 32-byte X25519 private key (clamped here if not already)
 * @param message - bytes to sign
 * @param random - 64 bytes of fresh randomness Z (fixed only in test vectors)
 * @returns 64-byte signature `R || s` with the Edwards sign bit of the signer in bit 7 of byte 63
 * @throws TypeError / RangeError on bad argument types or lengths
 */
export function xeddsaSign(privateKey: Uint8Array, message: Uint8Array, random: Uint8Array): Uint8Array {
  abytes('privateKey', privateKey, CURVE25519_KEY_LENGTH);
  abytes('message', message);
  abytes('random', random, XEDDSA_RANDOM_LENGTH);
  const k = clampScalar(privateKey);
  const a = modL(bytesToNumberLE(k));
  const A = Point.BASE.multiply(a).toBytes();
  const signBit = A[31] & 0x80;
  const nonceInput = concat(NONCE_PREFIX, k, message, random);
  const r = modL(bytesToNumberLE(sha512(nonceInput)));
  const R = Point.BASE.multiply(r).toBytes();
  const h = modL(bytesToNumberLE(sha512(concat(R, A, message))));
  const s = modL(h * a + r);
  const sig = concat(R, numberToBytesLE(s, 32));
  sig[63] = (sig[63] & 0x7f) | signBit;
  wipe(k, nonceInput);
  return sig;
}

/**
 * Verifies a libsignal XEdDSA signature against an X25519 public key.
 * Mirrors the reference exactly: `s` must be < 2^253 (but `s ≥ ℓ` is accepted), and `R` is
 * compared bytewise with the recomputed point encoding.
 * @param publicKey - 32-byte u-coordinate (no type byte)
 * @param message - signed bytes
 * @param signature - 64-byte signature
 * @returns true if valid; false for any invalid signature or key
 * @throws TypeError on non-Uint8Array arguments
 */
export function xeddsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  abytes('publicKey', publicKey);
  abytes('message', message);
  abytes('signature', signature);
  if (publicKey.length !== CURVE25519_KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
  const A = montgomeryToEdwards(publicKey, signature[63] & 0x80);
  if (!A) return false;
  const sBytes = signature.slice(32, 64);
  sBytes[31] &= 0x7f;
  if (sBytes[31] & 0xe0) return false;
  const R = signature.subarray(0, 32);
  const Abytes = A.toBytes();
  const h = modL(bytesToNumberLE(sha512(concat(R, Abytes, message))));
  const s = modL(bytesToNumberLE(sBytes));
  const check = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(h));
  return equalBytes(check.toBytes(), R);
}

/**
 * A point of order 8 (the "Taming the many EdDSAs" small-order list). The probe below adds it to a
 * signature's `R`, which a cofactored verifier accepts and libsignal's cofactorless check refuses.
 */
const ORDER_8_POINT = '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05';

let webCryptoEd25519: { subtle: SubtleCrypto | undefined; ok: Promise<boolean> } | undefined;

/**
 * Resolves true if WebCrypto Ed25519 verification here is libsignal's check (probed once): it
 * accepts a valid XEdDSA signature under the converted key and refuses one whose `R` carries an
 * order-8 component. The second case separates the ref10-style check of OpenSSL (Node) and BoringSSL
 * (Chromium), `encode(sB − hA) == R` bytewise as in libsignal, from RFC 8032's cofactored equation,
 * which accepts more. Without Ed25519 in `crypto.subtle`, or on any other result, false. Probed
 * once per `crypto.subtle` object.
 */
export function hasWebCryptoEd25519Verify(): Promise<boolean> {
  const current = globalThis.crypto?.subtle;
  if (webCryptoEd25519?.subtle === current) return webCryptoEd25519.ok;
  const ok = (async () => {
    try {
      if (!globalThis.crypto?.subtle) return false;
      const k = clampScalar(Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3));
      const u = x25519.getPublicKey(k);
      const message = Uint8Array.of(0x70, 0x72, 0x6f, 0x62, 0x65);
      const valid = xeddsaSign(k, message, new Uint8Array(XEDDSA_RANDOM_LENGTH).fill(0x2a));
      const torsioned = signWithTorsionedNonce(k, message);
      if (!xeddsaVerify(u, message, valid) || xeddsaVerify(u, message, torsioned)) return false;
      return (
        (await platformVerify(u, message, valid)) === true && (await platformVerify(u, message, torsioned)) === false
      );
    } catch {
      return false;
    }
  })();
  webCryptoEd25519 = { subtle: current, ok };
  return ok;
}

/** A signature `(R + T, r + h·a)` with `T` of order 8: valid only for a cofactored verifier. */
function signWithTorsionedNonce(k: Uint8Array, message: Uint8Array): Uint8Array {
  const a = modL(bytesToNumberLE(k));
  const A = Point.BASE.multiply(a).toBytes();
  const r = 0x1234567n;
  const R = Point.BASE.multiply(r)
    .add(Point.fromBytes(fromHex(ORDER_8_POINT)))
    .toBytes();
  const h = modL(bytesToNumberLE(sha512(concat(R, A, message))));
  const sig = concat(R, numberToBytesLE(modL(h * a + r), 32));
  sig[63] = (sig[63] & 0x7f) | (A[31] & 0x80);
  return sig;
}

/**
 * Ed25519 `verify` in WebCrypto on the converted key. `undefined` when the check is not the
 * platform's to make: `s ≥ ℓ` (libsignal reduces it, Ed25519 refuses it), `A` with `x = 0` and the
 * sign bit set (noble refuses to decode it), or no Edwards image.
 */
async function platformVerify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean | undefined> {
  const sBytes = signature.slice(32, 64);
  sBytes[31] &= 0x7f;
  if (bytesToNumberLE(sBytes) >= L) return undefined;
  const key = edwardsVerifyKey(publicKey, signature[63] & 0x80);
  if (!key) return undefined;
  try {
    return await globalThis.crypto.subtle.verify(
      { name: 'Ed25519' },
      await key,
      concat(signature.subarray(0, 32), sBytes) as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

/**
 * Converted keys as WebCrypto Ed25519 keys, by Montgomery key and sign bit: a group sender's signing
 * key checks every message, a contact's identity key both prekey signatures. `null` marks keys the
 * platform must not check (see {@link platformVerify}). Public data only.
 */
const VERIFY_KEYS = new KeyCache<Promise<CryptoKey> | null>(256);

function edwardsVerifyKey(publicKey: Uint8Array, signBit: number): Promise<CryptoKey> | null {
  const id = `${toBase64Url(publicKey)}${signBit ? '-' : '+'}`;
  const cached = VERIFY_KEYS.get(id);
  if (cached !== undefined) return cached;
  const A = edwardsEncoding(publicKey, signBit);
  let key: Promise<CryptoKey> | null = null;
  if (A && !(signBit && equalBytes(A, X_ZERO_NEGATIVE))) {
    key = globalThis.crypto.subtle.importKey('raw', A as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, [
      'verify',
    ]);
    key.catch(() => VERIFY_KEYS.delete(id));
  }
  VERIFY_KEYS.set(id, key);
  return key;
}

/** The encoding of `(0, −1)` with the sign bit set (Montgomery `u = 0`), which noble refuses to decode. */
const X_ZERO_NEGATIVE = (() => {
  const b = numberToBytesLE(P - 1n, 32);
  b[31] |= 0x80;
  return b;
})();

/**
 * {@link xeddsaVerify} with the same result, on WebCrypto Ed25519 when {@link hasWebCryptoEd25519Verify}.
 * A platform "valid" is final; a platform "invalid" is rechecked with noble, so a platform that
 * refuses more than libsignal (small-order keys, as the WebCrypto draft suggests) costs time on bad
 * signatures only, never a different answer.
 * @param publicKey - 32-byte u-coordinate (no type byte)
 * @param message - signed bytes
 * @param signature - 64-byte signature
 * @returns true if valid; false for any invalid signature or key
 * @throws TypeError on non-Uint8Array arguments
 */
export async function xeddsaVerifyAsync(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  abytes('publicKey', publicKey);
  abytes('message', message);
  abytes('signature', signature);
  if (publicKey.length !== CURVE25519_KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
  if (signature[63] & 0x60) return false;
  if ((await hasWebCryptoEd25519Verify()) && (await platformVerify(publicKey, message, signature)) === true)
    return true;
  return xeddsaVerify(publicKey, message, signature);
}
