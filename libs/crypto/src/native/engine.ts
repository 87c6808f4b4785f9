/**
 * `nativeEngine`: {@link ProtocolEngine} as a thin adapter over `@signalapp/libsignal-client`
 * (the reference implementation). Node only; reachable only through `@pairchat/crypto/native`.
 * Keys and prekey records cross the boundary serialised; our byte stores are wrapped in
 * libsignal's store classes ({@link nativeStores}); libsignal errors become {@link ProtocolError}s.
 * @module
 */
import * as signal from '@signalapp/libsignal-client';
import { CiphertextMessageType } from '../constants.js';
import type { ProtocolEngine } from '../engine.js';
import { ProtocolError, type ProtocolErrorCode } from '../errors.js';
import { nativeFingerprints } from '../fingerprint/native.js';
import { serializeKyberPreKeyRecord } from '../prekeys.js';
import { NativeGroupCipher } from '../sender-keys/native.js';
import { isLibSignalError, mapNativeError } from './errors.js';
import type { ProtocolStores } from '../stores.js';
import { nativeStores, own, toNativeAddress } from './stores.js';

async function mapped<T>(fallback: ProtocolErrorCode | undefined, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw mapNativeError(signal, e, fallback);
  }
}

type NativeStores = ReturnType<typeof nativeStores>;

/** Like {@link mapped}, but an error thrown by one of our store callbacks is rethrown as is. */
async function withStores<T>(
  fallback: ProtocolErrorCode | undefined,
  stores: ProtocolStores,
  f: (s: NativeStores) => Promise<T>,
): Promise<T> {
  const s = nativeStores(signal, stores);
  try {
    return await f(s);
  } catch (e) {
    if (s.failure.error !== undefined && isLibSignalError(e)) throw s.failure.error;
    throw mapNativeError(signal, e, fallback);
  }
}

/** The libsignal-client engine. */
export const nativeEngine: ProtocolEngine = {
  name: 'native',
  keys: {
    generateKeyPair: () =>
      mapped(undefined, () => {
        const k = signal.PrivateKey.generate();
        return { publicKey: k.getPublicKey().serialize(), privateKey: k.serialize() };
      }),
    generateIdentityKeyPair: () => mapped(undefined, () => signal.IdentityKeyPair.generate().serialize()),
    publicKeyOf: (privateKey) =>
      mapped(undefined, () => signal.PrivateKey.deserialize(own(privateKey)).getPublicKey().serialize()),
    sign: (privateKey, message) =>
      mapped(undefined, () => signal.PrivateKey.deserialize(own(privateKey)).sign(own(message))),
    verify: (publicKey, message, signature) =>
      mapped(undefined, () => signal.PublicKey.deserialize(own(publicKey)).verify(own(message), own(signature))),
    agree: (privateKey, publicKey) =>
      mapped(undefined, () =>
        signal.PrivateKey.deserialize(own(privateKey)).agree(signal.PublicKey.deserialize(own(publicKey))),
      ),
    generateKemKeyPair: () =>
      mapped(undefined, () => {
        const kp = signal.KEMKeyPair.generate();
        return { publicKey: kp.getPublicKey().serialize(), secretKey: kp.getSecretKey().serialize() };
      }),
  },
  records: {
    preKeyRecord: (id, kp) =>
      mapped(undefined, () =>
        signal.PreKeyRecord.new(
          id,
          signal.PublicKey.deserialize(own(kp.publicKey)),
          signal.PrivateKey.deserialize(own(kp.privateKey)),
        ).serialize(),
      ),
    signedPreKeyRecord: (id, timestamp, kp, signature) =>
      mapped(undefined, () =>
        signal.SignedPreKeyRecord.new(
          id,
          timestamp,
          signal.PublicKey.deserialize(own(kp.publicKey)),
          signal.PrivateKey.deserialize(own(kp.privateKey)),
          own(signature),
        ).serialize(),
      ),
    // libsignal-client cannot build a KEMKeyPair from bytes, so the record is encoded with the
    // shared storage codec and then validated by libsignal's own parser.
    kyberPreKeyRecord: (id, timestamp, kp, signature) =>
      mapped(undefined, () =>
        signal.KyberPreKeyRecord.deserialize(own(serializeKyberPreKeyRecord(id, timestamp, kp, signature))).serialize(),
      ),
  },
  processPreKeyBundle: (b, address, localAddress, stores, now) =>
    withStores(undefined, stores, async (s) => {
      const bundle = signal.PreKeyBundle.new(
        b.registrationId,
        b.deviceId,
        b.preKeyId,
        b.preKey ? signal.PublicKey.deserialize(own(b.preKey)) : null,
        b.signedPreKeyId,
        signal.PublicKey.deserialize(own(b.signedPreKey)),
        own(b.signedPreKeySignature),
        signal.PublicKey.deserialize(own(b.identityKey)),
        b.kyberPreKeyId,
        signal.KEMPublicKey.deserialize(own(b.kyberPreKey)),
        own(b.kyberPreKeySignature),
      );
      await signal.processPreKeyBundle(
        bundle,
        toNativeAddress(signal, address),
        toNativeAddress(signal, localAddress),
        s.session,
        s.identity,
        now,
      );
    }),
  encrypt: (plaintext, address, localAddress, stores, now) =>
    withStores(undefined, stores, async (s) => {
      const m = await signal.signalEncrypt(
        own(plaintext),
        toNativeAddress(signal, address),
        toNativeAddress(signal, localAddress),
        s.session,
        s.identity,
        now,
      );
      return { type: m.type() as CiphertextMessageType, body: m.serialize() };
    }),
  decrypt: (message, address, localAddress, stores) =>
    withStores('InvalidMessage', stores, async (s) => {
      const remote = toNativeAddress(signal, address);
      const local = toNativeAddress(signal, localAddress);
      if (message.type === CiphertextMessageType.PreKey) {
        const m = signal.PreKeySignalMessage.deserialize(own(message.body));
        return signal.signalDecryptPreKey(
          m,
          remote,
          local,
          s.session,
          s.identity,
          s.preKey,
          s.signedPreKey,
          s.kyberPreKey,
        );
      }
      if (message.type === CiphertextMessageType.Whisper) {
        const m = signal.SignalMessage.deserialize(own(message.body));
        return signal.signalDecrypt(m, remote, local, s.session, s.identity);
      }
      throw new ProtocolError('InvalidArgument', 'unsupported ciphertext message type');
    }),
  hasCurrentSession: (address, stores, now) =>
    withStores(undefined, stores, async (s) => {
      const r = await s.session.getSession(toNativeAddress(signal, address));
      return !!r && r.hasCurrentState(now);
    }),
  groups: new NativeGroupCipher(),
  fingerprints: nativeFingerprints,
};
