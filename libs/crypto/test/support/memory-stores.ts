/**
 * In-memory implementations of the five stores (libsignal `storage/inmem.rs` semantics), for
 * tests. Every method copies bytes in and out, like a real store would.
 */
import { equalBytes, toHex } from '../../src/bytes.js';
import type { ProtocolAddress } from '../../src/address.js';
import { ProtocolError } from '../../src/errors.js';
import {
  IdentityChange,
  type Direction,
  type IdentityKeyStore,
  type KyberPreKeyStore,
  type PreKeyStore,
  type ProtocolStores,
  type SessionStore,
  type SignedPreKeyStore,
} from '../../src/stores.js';

const copy = (b: Uint8Array) => Uint8Array.from(b);

export class InMemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, Uint8Array>();
  async loadSession(address: ProtocolAddress) {
    const r = this.sessions.get(address.toString());
    return r ? copy(r) : null;
  }
  async storeSession(address: ProtocolAddress, record: Uint8Array) {
    this.sessions.set(address.toString(), copy(record));
  }
}

/** Trust on first use; a changed key is untrusted until the app calls `saveIdentity`/`forget`. */
export class InMemoryIdentityStore implements IdentityKeyStore {
  readonly known = new Map<string, Uint8Array>();
  constructor(
    private readonly identityKeyPair: Uint8Array,
    private readonly registrationId: number,
  ) {}
  async getIdentityKeyPair() {
    return copy(this.identityKeyPair);
  }
  async getLocalRegistrationId() {
    return this.registrationId;
  }
  async saveIdentity(address: ProtocolAddress, identityKey: Uint8Array) {
    const old = this.known.get(address.toString());
    this.known.set(address.toString(), copy(identityKey));
    return old && !equalBytes(old, identityKey) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(address: ProtocolAddress, identityKey: Uint8Array, _direction: Direction) {
    const old = this.known.get(address.toString());
    return !old || equalBytes(old, identityKey);
  }
  async getIdentity(address: ProtocolAddress) {
    const k = this.known.get(address.toString());
    return k ? copy(k) : null;
  }
}

export class InMemoryPreKeyStore implements PreKeyStore {
  readonly records = new Map<number, Uint8Array>();
  async loadPreKey(id: number) {
    const r = this.records.get(id);
    return r ? copy(r) : null;
  }
  async storePreKey(id: number, record: Uint8Array) {
    this.records.set(id, copy(record));
  }
  async removePreKey(id: number) {
    this.records.delete(id);
  }
}

export class InMemorySignedPreKeyStore implements SignedPreKeyStore {
  readonly records = new Map<number, Uint8Array>();
  async loadSignedPreKey(id: number) {
    const r = this.records.get(id);
    return r ? copy(r) : null;
  }
  async storeSignedPreKey(id: number, record: Uint8Array) {
    this.records.set(id, copy(record));
  }
}

/** One-time Kyber prekeys are deleted on use; ids in `lastResort` are kept and replays refused. */
export class InMemoryKyberPreKeyStore implements KyberPreKeyStore {
  readonly records = new Map<number, Uint8Array>();
  readonly lastResort = new Set<number>();
  readonly used = new Set<string>();
  readonly markCalls: { kyberPreKeyId: number; signedPreKeyId: number; baseKey: Uint8Array }[] = [];
  async loadKyberPreKey(id: number) {
    const r = this.records.get(id);
    return r ? copy(r) : null;
  }
  async storeKyberPreKey(id: number, record: Uint8Array) {
    this.records.set(id, copy(record));
  }
  async markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: Uint8Array) {
    this.markCalls.push({ kyberPreKeyId, signedPreKeyId, baseKey: copy(baseKey) });
    if (!this.lastResort.has(kyberPreKeyId)) {
      this.records.delete(kyberPreKeyId);
      return;
    }
    const key = `${kyberPreKeyId}:${signedPreKeyId}:${toHex(baseKey)}`;
    if (this.used.has(key)) throw new ProtocolError('InvalidMessage', 'reused base key with last-resort Kyber prekey');
    this.used.add(key);
  }
}

export interface InMemoryStores extends ProtocolStores {
  session: InMemorySessionStore;
  identity: InMemoryIdentityStore;
  preKey: InMemoryPreKeyStore;
  signedPreKey: InMemorySignedPreKeyStore;
  kyberPreKey: InMemoryKyberPreKeyStore;
}

export function inMemoryStores(identityKeyPair: Uint8Array, registrationId: number): InMemoryStores {
  return {
    session: new InMemorySessionStore(),
    identity: new InMemoryIdentityStore(identityKeyPair, registrationId),
    preKey: new InMemoryPreKeyStore(),
    signedPreKey: new InMemorySignedPreKeyStore(),
    kyberPreKey: new InMemoryKyberPreKeyStore(),
  };
}

/** Serialises every store's content, to assert "a failed operation changed nothing". */
export function snapshot(s: InMemoryStores): string {
  const dump = (m: Map<unknown, Uint8Array>) =>
    [...m.entries()]
      .map(([k, v]) => `${String(k)}=${toHex(v)}`)
      .sort()
      .join(',');
  return [
    dump(s.session.sessions),
    dump(s.identity.known),
    dump(s.preKey.records),
    dump(s.signedPreKey.records),
    dump(s.kyberPreKey.records),
    [...s.kyberPreKey.used].sort().join(','),
  ].join('|');
}
