/**
 * `tsEngine`: the TypeScript implementation of {@link ProtocolEngine}, on `@noble/*` only.
 * Browser-safe: no Node imports, no libsignal.
 * @module
 */
import { defaultRng, type Rng } from '../bytes.js';
import { CiphertextMessageType } from '../constants.js';
import { IdentityKeyPair, PrivateKey, PublicKey } from '../curve.js';
import type { ProtocolEngine } from '../engine.js';
import { ProtocolError } from '../errors.js';
import { tsFingerprints } from '../fingerprint/ts.js';
import { KEMKeyPair } from '../kyber.js';
import { serializeKyberPreKeyRecord, serializePreKeyRecord, serializeSignedPreKeyRecord } from '../prekeys.js';
import { TsGroupCipher } from '../sender-keys/ts.js';
import {
  decryptPreKeyMessage,
  decryptSignalMessage,
  encryptMessage,
  hasCurrentSession,
  processPreKeyBundle,
} from '../session/cipher.js';

/**
 * Builds a TypeScript engine.
 * @param opts.rng - randomness for every key, nonce and encapsulation (default
 *   `crypto.getRandomValues`; inject only for deterministic tests)
 */
export function createTsEngine(opts: { rng?: Rng } = {}): ProtocolEngine {
  const rng = opts.rng ?? defaultRng;
  return {
    name: 'ts',
    keys: {
      async generateKeyPair() {
        const k = await PrivateKey.generateAsync(rng);
        return { publicKey: k.getPublicKey().serialize(), privateKey: k.serialize() };
      },
      async generateIdentityKeyPair() {
        return (await IdentityKeyPair.generateAsync(rng)).serialize();
      },
      async publicKeyOf(privateKey) {
        return PrivateKey.deserialize(privateKey).getPublicKey().serialize();
      },
      async sign(privateKey, message) {
        return PrivateKey.deserialize(privateKey).sign(message, rng(64));
      },
      async verify(publicKey, message, signature) {
        return PublicKey.deserialize(publicKey).verifyAsync(message, signature);
      },
      async agree(privateKey, publicKey) {
        return PrivateKey.deserialize(privateKey).agree(PublicKey.deserialize(publicKey));
      },
      async generateKemKeyPair() {
        const kp = KEMKeyPair.generate(rng);
        return { publicKey: kp.publicKey.serialize(), secretKey: kp.secretKey.serialize() };
      },
    },
    records: {
      async preKeyRecord(id, keyPair) {
        return serializePreKeyRecord(id, keyPair);
      },
      async signedPreKeyRecord(id, timestamp, keyPair, signature) {
        return serializeSignedPreKeyRecord(id, timestamp, keyPair, signature);
      },
      async kyberPreKeyRecord(id, timestamp, keyPair, signature) {
        return serializeKyberPreKeyRecord(id, timestamp, keyPair, signature);
      },
    },
    processPreKeyBundle: (bundle, address, localAddress, stores, now) =>
      processPreKeyBundle(bundle, address, localAddress, stores, now, { rng }),
    encrypt: (plaintext, address, localAddress, stores, now) =>
      encryptMessage(plaintext, address, localAddress, stores, now),
    async decrypt(message, address, localAddress, stores) {
      if (message.type === CiphertextMessageType.PreKey)
        return decryptPreKeyMessage(message.body, address, localAddress, stores, { rng });
      if (message.type === CiphertextMessageType.Whisper)
        return decryptSignalMessage(message.body, address, localAddress, stores, { rng });
      throw new ProtocolError('InvalidArgument', 'unsupported ciphertext message type');
    },
    hasCurrentSession: (address, stores, now) => hasCurrentSession(address, stores, now),
    groups: new TsGroupCipher(rng),
    fingerprints: tsFingerprints,
  };
}

/** The TypeScript engine with the default RNG. */
export const tsEngine: ProtocolEngine = createTsEngine();
