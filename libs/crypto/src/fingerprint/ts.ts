/**
 * The TypeScript {@link Fingerprints}: {@link computeSafetyNumber} and {@link compareScannable} on
 * `@noble/hashes` SHA-512. Browser-safe.
 * @module
 */
import type { Fingerprints } from './api.js';
import { compareScannable, computeSafetyNumber, type SafetyNumberBytes } from './safety-number.js';

/** The TypeScript safety-number implementation; stateless. */
export class TsFingerprints implements Fingerprints {
  /** {@inheritDoc Fingerprints.safetyNumber} */
  async safetyNumber(
    iterations: number,
    version: number,
    localId: Uint8Array,
    localKey: Uint8Array,
    remoteId: Uint8Array,
    remoteKey: Uint8Array,
  ): Promise<SafetyNumberBytes> {
    return computeSafetyNumber(iterations, version, localId, localKey, remoteId, remoteKey);
  }

  /** {@inheritDoc Fingerprints.compareScannable} */
  async compareScannable(ours: Uint8Array, theirs: Uint8Array): Promise<boolean> {
    return compareScannable(ours, theirs);
  }
}

/** The shared instance the TypeScript engine exposes as `fingerprints`. */
export const tsFingerprints: Fingerprints = new TsFingerprints();
