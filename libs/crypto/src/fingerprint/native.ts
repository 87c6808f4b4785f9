/**
 * The native {@link Fingerprints}: a thin adapter over libsignal-client 0.103's `Fingerprint`
 * and `ScannableFingerprint`. Errors become {@link ProtocolError}s; bad arguments are rejected
 * with the same TypeError / RangeError as the TypeScript engine, before libsignal sees them.
 * Node only.
 * @module
 */
import * as signal from '@signalapp/libsignal-client';
import { abytes, aint } from '../bytes.js';
import { PUBLIC_KEY_LENGTH } from '../constants.js';
import { mapNativeErrors } from '../sender-keys/native-errors.js';
import type { Fingerprints } from './api.js';
import { MAX_FINGERPRINT_ITERATIONS, MIN_FINGERPRINT_ITERATIONS, type SafetyNumberBytes } from './safety-number.js';

/** libsignal-client wants `Uint8Array<ArrayBuffer>`; a copy always is one. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(bytes);
}

/** The libsignal-client safety-number implementation; stateless. */
export class NativeFingerprints implements Fingerprints {
  /** {@inheritDoc Fingerprints.safetyNumber} */
  async safetyNumber(
    iterations: number,
    version: number,
    localId: Uint8Array,
    localKey: Uint8Array,
    remoteId: Uint8Array,
    remoteKey: Uint8Array,
  ): Promise<SafetyNumberBytes> {
    aint('iterations', iterations, MIN_FINGERPRINT_ITERATIONS, MAX_FINGERPRINT_ITERATIONS);
    aint('version', version, 0, 0xffff_ffff);
    abytes('localId', localId);
    abytes('remoteId', remoteId);
    abytes('localKey', localKey, PUBLIC_KEY_LENGTH);
    abytes('remoteKey', remoteKey, PUBLIC_KEY_LENGTH);
    return mapNativeErrors(() => {
      const fp = signal.Fingerprint.new(
        iterations,
        version,
        own(localId),
        signal.PublicKey.deserialize(own(localKey)),
        own(remoteId),
        signal.PublicKey.deserialize(own(remoteKey)),
      );
      return {
        displayable: fp.displayableFingerprint().toString(),
        scannable: fp.scannableFingerprint().toBuffer(),
      };
    });
  }

  /** {@inheritDoc Fingerprints.compareScannable} */
  async compareScannable(ours: Uint8Array, theirs: Uint8Array): Promise<boolean> {
    abytes('ours', ours);
    abytes('theirs', theirs);
    return mapNativeErrors(() =>
      signal.ScannableFingerprint._fromBuffer(own(ours)).compare(signal.ScannableFingerprint._fromBuffer(own(theirs))),
    );
  }
}

/** The shared instance the native engine exposes as `fingerprints`. */
export const nativeFingerprints: Fingerprints = new NativeFingerprints();
