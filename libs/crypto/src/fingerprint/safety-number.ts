/**
 * Safety numbers ("fingerprints") in pure TypeScript: libsignal `rust/protocol/src/fingerprint.rs`,
 * wire notes §10. Byte-compatible with libsignal-client 0.103 `Fingerprint.new`.
 *
 * Per party: `H0 = SHA512(0x0000 || key || stableId || key)`, `Hi = SHA512(H(i-1) || key)` until
 * `iterations` hashes have been computed. The displayable form is 30 digits per party (lower one
 * first); the scannable form is a `CombinedFingerprints` protobuf of both 32-byte hash prefixes.
 * @module
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { abytes, aint, equalBytes } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import { decodeCombinedFingerprints, encodeCombinedFingerprints, SCANNABLE_HASH_LENGTH } from './codec.js';

/** Hash-iteration count used by Signal clients and by libsignal's own tests. */
export const FINGERPRINT_ITERATIONS = 5200;
/** Scannable format version of current Signal clients (v1 differed only in this number). */
export const SCANNABLE_FINGERPRINT_VERSION = 2;
/**
 * libsignal rejects `iterations <= 1` (the hash would not be iterated at all) and anything above
 * one million (a denial-of-service guard: each iteration is one SHA-512 call).
 */
export const MIN_FINGERPRINT_ITERATIONS = 2;
/** @see MIN_FINGERPRINT_ITERATIONS */
export const MAX_FINGERPRINT_ITERATIONS = 1_000_000;
/** Two zero bytes that open the first hash input: libsignal's "fingerprint version" 0x0000. */
const HASH_VERSION_PREFIX = Uint8Array.of(0x00, 0x00);
/** Serialized Curve25519 public key: type byte 0x05 then the 32-byte u-coordinate (notes §1.1). */
const IDENTITY_KEY_LENGTH = 33;
const DJB_KEY_TYPE = 0x05;
/** Digits shown per party: six 5-byte chunks, each reduced mod 10^5. */
const DISPLAY_CHUNKS = 6;
const DISPLAY_CHUNK_BYTES = 5;
const DISPLAY_CHUNK_MODULUS = 100_000;

/** Both forms of one side's view of a safety number. */
export interface SafetyNumberBytes {
  /** 60 decimal digits; identical on both sides. */
  readonly displayable: string;
  /** `CombinedFingerprints` protobuf; each side's bytes have local and remote swapped. */
  readonly scannable: Uint8Array;
}

/**
 * Iterated SHA-512 over one party's identity key and stable identifier.
 * @param iterations total number of SHA-512 invocations (2..1 000 000)
 * @param stableId the party's stable identifier bytes (e.g. 16-byte ACI UUID)
 * @param identityKey the party's serialized identity public key (33 bytes, 0x05 prefix)
 * @returns the 64-byte final hash
 * @throws TypeError on non-byte inputs; RangeError on a bad iteration count or key length
 * @throws ProtocolError `BadKeyType` on a key without the 0x05 type byte
 */
export function iteratedFingerprintHash(iterations: number, stableId: Uint8Array, identityKey: Uint8Array): Uint8Array {
  assertIterations(iterations);
  abytes('stableId', stableId);
  assertIdentityKey(identityKey);
  let buf = sha512
    .create()
    .update(HASH_VERSION_PREFIX)
    .update(identityKey)
    .update(stableId)
    .update(identityKey)
    .digest();
  for (let i = 1; i < iterations; i++) {
    const next = sha512.create().update(buf).update(identityKey).digest();
    buf.fill(0); // intermediate hashes are not secret, but there is no reason to keep them
    buf = next;
  }
  return buf;
}

/**
 * Computes both forms of a safety number, as libsignal's `Fingerprint::new`.
 * @param iterations hash iterations, normally {@link FINGERPRINT_ITERATIONS}
 * @param version scannable format version, normally {@link SCANNABLE_FINGERPRINT_VERSION}
 * @param localId our stable identifier bytes
 * @param localKey our serialized identity key (33 bytes)
 * @param remoteId the peer's stable identifier bytes
 * @param remoteKey the peer's serialized identity key (33 bytes)
 * @returns the displayable digits and our scannable bytes
 * @throws RangeError / TypeError on bad arguments (see {@link iteratedFingerprintHash})
 */
export function computeSafetyNumber(
  iterations: number,
  version: number,
  localId: Uint8Array,
  localKey: Uint8Array,
  remoteId: Uint8Array,
  remoteKey: Uint8Array,
): SafetyNumberBytes {
  aint('version', version, 0, 0xffff_ffff);
  const local = iteratedFingerprintHash(iterations, localId, localKey);
  const remote = iteratedFingerprintHash(iterations, remoteId, remoteKey);
  const localDigits = displayDigits(local);
  const remoteDigits = displayDigits(remote);
  const displayable = localDigits < remoteDigits ? localDigits + remoteDigits : remoteDigits + localDigits;
  const scannable = encodeCombinedFingerprints({
    version,
    local: local.subarray(0, SCANNABLE_HASH_LENGTH),
    remote: remote.subarray(0, SCANNABLE_HASH_LENGTH),
  });
  local.fill(0);
  remote.fill(0);
  return { displayable, scannable };
}

/**
 * Compares our scannable fingerprint with one scanned from the peer's screen: their local hash
 * must equal our remote hash and vice versa. Both comparisons always run and use a constant-time
 * byte comparison, as libsignal's `ct_eq` does (hashes of public keys are not secret, but a
 * data-independent answer costs nothing).
 * @param ours our own scannable bytes
 * @param theirs the scanned bytes
 * @returns true iff both hashes match
 * @throws ProtocolError `FingerprintVersionMismatch` if the versions differ (libsignal
 *   `VersionMismatch`), `FingerprintParsingError` if either input is malformed
 */
export function compareScannable(ours: Uint8Array, theirs: Uint8Array): boolean {
  const mine = decodeCombinedFingerprints(ours);
  const other = decodeCombinedFingerprints(theirs);
  if (other.version !== mine.version) {
    throw new ProtocolError(
      'FingerprintVersionMismatch',
      `fingerprint version mismatch: theirs ${other.version}, ours ${mine.version}`,
    );
  }
  const same1 = equalBytes(other.local, mine.remote);
  const same2 = equalBytes(other.remote, mine.local);
  return same1 && same2;
}

function displayDigits(hash: Uint8Array): string {
  let out = '';
  for (let i = 0; i < DISPLAY_CHUNKS; i++) {
    let x = 0;
    // 5 bytes = 40 bits < 2^53: exact in a double.
    for (let j = 0; j < DISPLAY_CHUNK_BYTES; j++) x = x * 256 + hash[i * DISPLAY_CHUNK_BYTES + j]!;
    out += String(x % DISPLAY_CHUNK_MODULUS).padStart(5, '0');
  }
  return out;
}

function assertIterations(iterations: number): void {
  aint('iterations', iterations, MIN_FINGERPRINT_ITERATIONS, MAX_FINGERPRINT_ITERATIONS);
}

function assertIdentityKey(key: Uint8Array): void {
  abytes('identityKey', key, IDENTITY_KEY_LENGTH);
  if (key[0] !== DJB_KEY_TYPE) throw new ProtocolError('BadKeyType', 'identityKey: unknown key type');
}
