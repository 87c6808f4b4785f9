/**
 * The safety-number part of the engine interface. Mirrors libsignal-client 0.103's
 * `Fingerprint.new(iterations, version, localId, localKey, remoteId, remoteKey)`,
 * `displayableFingerprint()`, `scannableFingerprint()` and `ScannableFingerprint.compare`, over
 * serialized keys like the rest of the engine interface. Wire notes §10.
 *
 * A safety number lets two people check, out of band, that each holds the other's real identity
 * key: they compare the 60 displayed digits, or one scans the other's QR code (the scannable bytes)
 * and {@link Fingerprints.compareScannable} checks it. Both engines give identical bytes.
 * @module
 */
import type { SafetyNumberBytes } from './safety-number.js';

export type { SafetyNumberBytes } from './safety-number.js';

/** Safety-number operations of one engine. */
export interface Fingerprints {
  /**
   * Computes both forms of the safety number between us and a peer. Both sides get the same
   * `displayable` string; each side's `scannable` bytes hold its own hash first.
   * @param iterations hash iterations, 2..1 000 000 (Signal uses 5200: `FINGERPRINT_ITERATIONS`)
   * @param version scannable format version (Signal uses 2: `SCANNABLE_FINGERPRINT_VERSION`)
   * @param localId our stable identifier bytes (e.g. the 16-byte ACI UUID)
   * @param localKey our serialized identity key (33 bytes, 0x05 prefix)
   * @param remoteId the peer's stable identifier bytes
   * @param remoteKey the peer's serialized identity key (33 bytes)
   * @returns the 60-digit displayable string and our scannable protobuf bytes
   * @throws RangeError on an iteration count outside 2..1 000 000 or a key of the wrong length;
   *   ProtocolError `BadKeyType` on a key without the 0x05 type byte
   */
  safetyNumber(
    iterations: number,
    version: number,
    localId: Uint8Array,
    localKey: Uint8Array,
    remoteId: Uint8Array,
    remoteKey: Uint8Array,
  ): Promise<SafetyNumberBytes>;

  /**
   * Compares our scannable bytes with the bytes scanned from the peer's screen: their local hash
   * must equal our remote hash and vice versa.
   * @param ours our own scannable bytes, from {@link Fingerprints.safetyNumber}
   * @param theirs the scanned bytes
   * @returns true iff both identity keys match
   * @throws ProtocolError `FingerprintVersionMismatch` if the two versions differ (the user must
   *   be told the apps are incompatible, not that the keys differ), `FingerprintParsingError` if
   *   either input is malformed
   */
  compareScannable(ours: Uint8Array, theirs: Uint8Array): Promise<boolean>;
}
