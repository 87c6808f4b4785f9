/**
 * XEdDSA as libsignal implements it (wire notes §1.2, libsignal `rust/core/src/curve/curve25519.rs`):
 * Ed25519-style signatures made with an X25519 private key and checked against an X25519 public key.
 *
 * libsignal differs from the XEdDSA paper: instead of negating `a` to force the Edwards sign bit to
 * 0, it signs with `a` as is and stores the sign bit of `A` in the top bit of signature byte 63.
 * Verification rebuilds `A` from the Montgomery `u` and that bit. Built on `@noble/curves` Edwards
 * point arithmetic and `@noble/hashes` SHA-512; WebCrypto Ed25519 cannot express this scheme.
 *
 * Timing: signing multiplies the secret scalars with noble's constant-time `multiply`; verification
 * only handles public data and uses `multiplyUnsafe`. BigInt arithmetic in JS is not guaranteed
 * constant-time; this matches noble's own stance.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { abytes, concat, equalBytes, wipe } from './bytes.js';
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
  const ub = Uint8Array.from(u32);
  ub[31] &= 0x7f;
  const u = modP(bytesToNumberLE(ub));
  if (u === P - 1n) return null;
  const y = modP((u - 1n) * invP(u + 1n));
  const yb = numberToBytesLE(y, 32);
  yb[31] |= signBit ? 0x80 : 0;
  try {
    return Point.fromBytes(yb);
  } catch {
    return null;
  }
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
