/**
 * Adapters from our byte-level stores (`stores.ts`) to libsignal-client's abstract store classes.
 * Records pass through serialised; addresses and keys are converted at the boundary. Node only.
 * @module
 */
import type * as Signal from '@signalapp/libsignal-client';
import { ProtocolAddress } from '../address.js';
import { ProtocolError } from '../errors.js';
import type { Direction, IdentityChange, ProtocolStores } from '../stores.js';
import { IdentityKeyPair } from '../curve.js';

/** A fresh `Uint8Array<ArrayBuffer>` copy, the type libsignal-client's API wants. */
export function own(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(b);
}

/** Our address -> libsignal's. */
export function toNativeAddress(signal: typeof Signal, a: ProtocolAddress): Signal.ProtocolAddress {
  return signal.ProtocolAddress.new(a.name, a.deviceId);
}

/** libsignal's address -> ours. */
export function fromNativeAddress(a: Signal.ProtocolAddress): ProtocolAddress {
  return new ProtocolAddress(a.name(), a.deviceId());
}

/**
 * Builds the five libsignal store objects over `stores`. libsignal-client reports an exception
 * thrown by a store callback only as text ("error in method call ..."), so the adapters remember
 * the first one in `failure`, letting the engine rethrow the original error (e.g. our
 * `InvalidSignedPreKeyId`, or the app store's own error).
 */
export function nativeStores(signal: typeof Signal, stores: ProtocolStores) {
  const failure: { error?: unknown } = {};
  const guard = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      failure.error ??= e;
      throw e;
    }
  };
  class Sessions extends signal.SessionStore {
    async saveSession(name: Signal.ProtocolAddress, record: Signal.SessionRecord): Promise<void> {
      return guard(async () => {
        await stores.session.storeSession(fromNativeAddress(name), record.serialize());
      });
    }
    async getSession(name: Signal.ProtocolAddress): Promise<Signal.SessionRecord | null> {
      return guard(async () => {
        const b = await stores.session.loadSession(fromNativeAddress(name));
        return b ? signal.SessionRecord.deserialize(own(b)) : null;
      });
    }
    async getExistingSessions(addresses: Signal.ProtocolAddress[]): Promise<Signal.SessionRecord[]> {
      return guard(async () => {
        const out: Signal.SessionRecord[] = [];
        for (const a of addresses) {
          const r = await this.getSession(a);
          if (!r) throw new ProtocolError('SessionNotFound', 'session not found', { address: a.toString() });
          out.push(r);
        }
        return out;
      });
    }
  }
  class Identities extends signal.IdentityKeyStore {
    async getIdentityKey(): Promise<Signal.PrivateKey> {
      return guard(async () => {
        const kp = IdentityKeyPair.deserialize(await stores.identity.getIdentityKeyPair());
        return signal.PrivateKey.deserialize(own(kp.privateKey.serialize()));
      });
    }
    async getLocalRegistrationId(): Promise<number> {
      return guard(async () => {
        return stores.identity.getLocalRegistrationId();
      });
    }
    async saveIdentity(name: Signal.ProtocolAddress, key: Signal.PublicKey): Promise<Signal.IdentityChange> {
      return guard(async () => {
        return (await stores.identity.saveIdentity(
          fromNativeAddress(name),
          key.serialize(),
        )) as IdentityChange as number;
      });
    }
    async isTrustedIdentity(
      name: Signal.ProtocolAddress,
      key: Signal.PublicKey,
      direction: Signal.Direction,
    ): Promise<boolean> {
      return guard(async () => {
        return stores.identity.isTrustedIdentity(
          fromNativeAddress(name),
          key.serialize(),
          direction as number as Direction,
        );
      });
    }
    async getIdentity(name: Signal.ProtocolAddress): Promise<Signal.PublicKey | null> {
      return guard(async () => {
        const b = await stores.identity.getIdentity(fromNativeAddress(name));
        return b ? signal.PublicKey.deserialize(own(b)) : null;
      });
    }
  }
  class PreKeys extends signal.PreKeyStore {
    async savePreKey(id: number, record: Signal.PreKeyRecord): Promise<void> {
      return guard(async () => {
        await stores.preKey.storePreKey(id, record.serialize());
      });
    }
    async getPreKey(id: number): Promise<Signal.PreKeyRecord> {
      return guard(async () => {
        const b = await stores.preKey.loadPreKey(id);
        if (!b) throw new ProtocolError('InvalidPreKeyId', 'invalid prekey id');
        return signal.PreKeyRecord.deserialize(own(b));
      });
    }
    async removePreKey(id: number): Promise<void> {
      return guard(async () => {
        await stores.preKey.removePreKey(id);
      });
    }
  }
  class SignedPreKeys extends signal.SignedPreKeyStore {
    async saveSignedPreKey(id: number, record: Signal.SignedPreKeyRecord): Promise<void> {
      return guard(async () => {
        await stores.signedPreKey.storeSignedPreKey(id, record.serialize());
      });
    }
    async getSignedPreKey(id: number): Promise<Signal.SignedPreKeyRecord> {
      return guard(async () => {
        const b = await stores.signedPreKey.loadSignedPreKey(id);
        if (!b) throw new ProtocolError('InvalidSignedPreKeyId', 'invalid signed prekey id');
        return signal.SignedPreKeyRecord.deserialize(own(b));
      });
    }
  }
  class KyberPreKeys extends signal.KyberPreKeyStore {
    async saveKyberPreKey(id: number, record: Signal.KyberPreKeyRecord): Promise<void> {
      return guard(async () => {
        await stores.kyberPreKey.storeKyberPreKey(id, record.serialize());
      });
    }
    async getKyberPreKey(id: number): Promise<Signal.KyberPreKeyRecord> {
      return guard(async () => {
        const b = await stores.kyberPreKey.loadKyberPreKey(id);
        if (!b) throw new ProtocolError('InvalidKyberPreKeyId', 'invalid Kyber prekey id');
        return signal.KyberPreKeyRecord.deserialize(own(b));
      });
    }
    async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: Signal.PublicKey): Promise<void> {
      return guard(async () => {
        await stores.kyberPreKey.markKyberPreKeyUsed(id, signedPreKeyId, baseKey.serialize());
      });
    }
  }
  return {
    failure,
    session: new Sessions(),
    identity: new Identities(),
    preKey: new PreKeys(),
    signedPreKey: new SignedPreKeys(),
    kyberPreKey: new KyberPreKeys(),
  };
}
