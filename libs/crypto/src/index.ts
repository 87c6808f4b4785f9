/**
 * `@pairchat/crypto`: the Signal protocol engine interface, its browser-safe TypeScript
 * implementation (`tsEngine`), key types, stores and errors. The libsignal-client adapter lives
 * in the Node-only subpath `@pairchat/crypto/native`.
 * @module
 */
export { ProtocolAddress, serviceIdFixedWidth } from './address.js';
export { concat, defaultRng, equalBytes, fromBase64, fromHex, toBase64, toHex, wipe, type Rng } from './bytes.js';
export * from './constants.js';
export { agree, IdentityKeyPair, PrivateKey, PublicKey } from './curve.js';
export type {
  CiphertextMessage,
  KemKeyPairBytes,
  KeyApi,
  KeyPairBytes,
  PreKeyBundle,
  ProtocolEngine,
  RecordApi,
  SessionApi,
} from './engine.js';
export { isProtocolError, PROTOCOL_ERROR_CODES, ProtocolError, type ProtocolErrorCode } from './errors.js';
export type { Fingerprints, SafetyNumberBytes } from './fingerprint/api.js';
export { FINGERPRINT_ITERATIONS, SCANNABLE_FINGERPRINT_VERSION } from './fingerprint/index.js';
export { KEMKeyPair, KEMPublicKey, KEMSecretKey } from './kyber.js';
export {
  parseKyberPreKeyRecord,
  parsePreKeyRecord,
  parseSignedPreKeyRecord,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSignedPreKeyRecord,
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type SignedPreKeyRecord,
} from './prekeys.js';
export type { GroupCipher, SenderKeyStore } from './sender-keys/api.js';
export { SenderKeyDistributionMessage, SenderKeyMessage } from './sender-keys/index.js';
export {
  Direction,
  IdentityChange,
  type IdentityKeyStore,
  type KyberPreKeyStore,
  type PreKeyStore,
  type ProtocolStores,
  type SessionStore,
  type SignedPreKeyStore,
} from './stores.js';
export { createTsEngine, tsEngine } from './ts/engine.js';
export { xeddsaSign, xeddsaVerify } from './xeddsa.js';
