/**
 * Public surface of the safety-number module, browser-safe. The native adapter is exported
 * separately through `@pairchat/crypto/native` (`./native.ts`).
 * @module
 */
export type { Fingerprints, SafetyNumberBytes } from './api.js';
export {
  compareScannable,
  computeSafetyNumber,
  FINGERPRINT_ITERATIONS,
  MAX_FINGERPRINT_ITERATIONS,
  MIN_FINGERPRINT_ITERATIONS,
  SCANNABLE_FINGERPRINT_VERSION,
} from './safety-number.js';
export { TsFingerprints, tsFingerprints } from './ts.js';
