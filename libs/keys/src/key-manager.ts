/**
 * The client-side key manager (web app, CLI): makes this device's identity and prekeys with the
 * chosen engine, keeps the private halves in the protocol stores, and decides when to replenish
 * one-time prekeys and rotate the signed and last-resort keys. It returns the public parts as
 * `PUT /keys` bodies; sending them is the caller's job.
 * @module
 */
import { IdentityKeyPair, type ProtocolEngine, type ProtocolStores, toBase64 } from '@pairchat/crypto';
import {
  graceExpired,
  keyIdRange,
  MAX_KEY_ID,
  MAX_REGISTRATION_ID,
  nextKeyId,
  ONE_TIME_PREKEY_TARGET,
  type PreKeyCounts,
  needsReplenish,
  replenishAmounts,
  rotationDue,
} from './policy.js';
import type { EcPreKeyWire, KeysUploadRequest, KyberPreKeyWire } from './wire.js';

/** What the key manager remembers between runs (persist it beside the protocol stores). */
export interface KeyManagerState {
  nextPreKeyId: number;
  nextKyberPreKeyId: number;
  nextSignedPreKeyId: number;
  /** The signed EC prekey and last-resort Kyber prekey now published, with creation times (ms). */
  signedPreKey: { keyId: number; createdAt: number } | null;
  lastResortKyberPreKey: { keyId: number; createdAt: number } | null;
  /** Replaced keys whose private halves are kept for in-flight PreKey messages until the grace period ends. */
  replaced: { kind: 'signed' | 'kyber'; keyId: number; replacedAt: number }[];
}

/** Persistence of {@link KeyManagerState}. */
export interface KeyStateStore {
  /** The saved state, or null before the first upload. */
  load(): Promise<KeyManagerState | null>;
  /** Saves the state; durable when the promise resolves. */
  save(state: KeyManagerState): Promise<void>;
}

/** Deletion of replaced signed and last-resort keys (the protocol stores only add). */
export interface ReplacedKeyRemoval {
  removeSignedPreKey(id: number): Promise<void>;
  removeKyberPreKey(id: number): Promise<void>;
}

export interface KeyManagerOptions {
  engine: ProtocolEngine;
  stores: ProtocolStores;
  state: KeyStateStore;
  removal?: ReplacedKeyRemoval;
  /** Told which Kyber prekey is the last-resort one (kept after use; its store must refuse replays). */
  markLastResort?: (keyId: number) => Promise<void>;
  /** Clock in ms; defaults to Date.now. */
  now?: () => number;
  /** Called after each generated key during long runs (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/** A fresh account identity: the key pair (libsignal's `IdentityKeyPairStructure`) and a registration id. */
export interface NewIdentity {
  identityKeyPair: Uint8Array;
  registrationId: number;
}

const randomInt = (max: number): number => {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return (n! % max) + 1;
};

export class KeyManager {
  private readonly now: () => number;

  constructor(private readonly options: KeyManagerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Makes an identity key pair and a registration id (1..16380) with `engine`. */
  static async createIdentity(engine: ProtocolEngine): Promise<NewIdentity> {
    return {
      identityKeyPair: await engine.keys.generateIdentityKeyPair(),
      registrationId: randomInt(MAX_REGISTRATION_ID),
    };
  }

  /**
   * Everything a new device publishes: identity key, signed EC prekey, last-resort Kyber prekey and
   * {@link ONE_TIME_PREKEY_TARGET} one-time prekeys of each kind. Key ids start at random points
   * (as Signal's) so a reinstalled device is unlikely to reuse ids a sender still holds.
   */
  async initialUpload(): Promise<KeysUploadRequest> {
    const state: KeyManagerState = {
      nextPreKeyId: randomInt(MAX_KEY_ID),
      nextKyberPreKeyId: randomInt(MAX_KEY_ID),
      nextSignedPreKeyId: randomInt(MAX_KEY_ID),
      signedPreKey: null,
      lastResortKyberPreKey: null,
      replaced: [],
    };
    const total = 2 + 2 * ONE_TIME_PREKEY_TARGET;
    const progress = this.progress(total);
    const identity = await this.identity();
    const signedPreKey = await this.newSignedPreKey(state, identity.privateKey, progress);
    const lastResortKyberPreKey = await this.newLastResortKey(state, identity.privateKey, progress);
    const preKeys = await this.newPreKeys(state, ONE_TIME_PREKEY_TARGET, progress);
    const kyberPreKeys = await this.newKyberPreKeys(state, identity.privateKey, ONE_TIME_PREKEY_TARGET, progress);
    await this.options.state.save(state);
    const registrationId = await this.options.stores.identity.getLocalRegistrationId();
    return {
      identityKey: toBase64(identity.publicKey),
      registrationId,
      signedPreKey,
      lastResortKyberPreKey,
      preKeys,
      kyberPreKeys,
    };
  }

  /** One-time prekeys to top the server back up, or null when `counts` are above the threshold. */
  async replenishUpload(counts: PreKeyCounts): Promise<KeysUploadRequest | null> {
    if (!needsReplenish(counts)) return null;
    const state = await this.loadState();
    const amounts = replenishAmounts(counts);
    const progress = this.progress(amounts.ecPreKeys + amounts.kyberPreKeys);
    const identity = await this.identity();
    const preKeys = await this.newPreKeys(state, amounts.ecPreKeys, progress);
    const kyberPreKeys = await this.newKyberPreKeys(state, identity.privateKey, amounts.kyberPreKeys, progress);
    await this.options.state.save(state);
    return { identityKey: toBase64(identity.publicKey), preKeys, kyberPreKeys };
  }

  /**
   * A new signed EC prekey and last-resort Kyber prekey when the current ones are due (every two
   * days), or null. The replaced private keys are kept for the grace period.
   */
  async rotationUpload(force = false): Promise<KeysUploadRequest | null> {
    const state = await this.loadState();
    const now = this.now();
    const signedDue = force || !state.signedPreKey || rotationDue(state.signedPreKey.createdAt, now);
    const kyberDue = force || !state.lastResortKyberPreKey || rotationDue(state.lastResortKyberPreKey.createdAt, now);
    if (!signedDue && !kyberDue) return null;
    const identity = await this.identity();
    const progress = this.progress(2);
    const upload: KeysUploadRequest = { identityKey: toBase64(identity.publicKey) };
    if (signedDue) {
      if (state.signedPreKey) state.replaced.push({ kind: 'signed', keyId: state.signedPreKey.keyId, replacedAt: now });
      upload.signedPreKey = await this.newSignedPreKey(state, identity.privateKey, progress);
    }
    if (kyberDue) {
      if (state.lastResortKyberPreKey)
        state.replaced.push({ kind: 'kyber', keyId: state.lastResortKyberPreKey.keyId, replacedAt: now });
      upload.lastResortKyberPreKey = await this.newLastResortKey(state, identity.privateKey, progress);
    }
    await this.options.state.save(state);
    return upload;
  }

  /** Deletes replaced keys whose grace period is over. @returns how many were deleted */
  async purgeReplaced(): Promise<number> {
    const { removal } = this.options;
    if (!removal) return 0;
    const state = await this.loadState();
    const now = this.now();
    const expired = state.replaced.filter((k) => graceExpired(k.replacedAt, now));
    for (const key of expired) {
      if (key.kind === 'signed') await removal.removeSignedPreKey(key.keyId);
      else await removal.removeKyberPreKey(key.keyId);
    }
    state.replaced = state.replaced.filter((k) => !expired.includes(k));
    await this.options.state.save(state);
    return expired.length;
  }

  private async identity(): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
    const pair = IdentityKeyPair.deserialize(await this.options.stores.identity.getIdentityKeyPair());
    return { publicKey: pair.publicKey.serialize(), privateKey: pair.privateKey.serialize() };
  }

  private async loadState(): Promise<KeyManagerState> {
    const state = await this.options.state.load();
    if (!state) throw new Error('no keys yet: run initialUpload() first');
    return state;
  }

  private progress(total: number): () => void {
    let done = 0;
    return () => this.options.onProgress?.(++done, total);
  }

  private async newSignedPreKey(state: KeyManagerState, identityPrivate: Uint8Array, tick: () => void) {
    const { engine, stores } = this.options;
    const keyId = state.nextSignedPreKeyId;
    state.nextSignedPreKeyId = nextKeyId(keyId);
    const createdAt = this.now();
    const pair = await engine.keys.generateKeyPair();
    const signature = await engine.keys.sign(identityPrivate, pair.publicKey);
    await stores.signedPreKey.storeSignedPreKey(
      keyId,
      await engine.records.signedPreKeyRecord(keyId, createdAt, pair, signature),
    );
    state.signedPreKey = { keyId, createdAt };
    tick();
    return { keyId, publicKey: toBase64(pair.publicKey), signature: toBase64(signature) };
  }

  private async newLastResortKey(state: KeyManagerState, identityPrivate: Uint8Array, tick: () => void) {
    const [key] = await this.newKyberPreKeys(state, identityPrivate, 1, tick);
    await this.options.markLastResort?.(key!.keyId);
    state.lastResortKyberPreKey = { keyId: key!.keyId, createdAt: this.now() };
    return key!;
  }

  private async newPreKeys(state: KeyManagerState, count: number, tick: () => void): Promise<EcPreKeyWire[]> {
    const { engine, stores } = this.options;
    const ids = keyIdRange(state.nextPreKeyId, count);
    state.nextPreKeyId = nextKeyId(ids.at(-1) ?? state.nextPreKeyId - 1);
    const out: EcPreKeyWire[] = [];
    for (const keyId of ids) {
      const pair = await engine.keys.generateKeyPair();
      await stores.preKey.storePreKey(keyId, await engine.records.preKeyRecord(keyId, pair));
      out.push({ keyId, publicKey: toBase64(pair.publicKey) });
      tick();
    }
    return out;
  }

  private async newKyberPreKeys(
    state: KeyManagerState,
    identityPrivate: Uint8Array,
    count: number,
    tick: () => void,
  ): Promise<KyberPreKeyWire[]> {
    const { engine, stores } = this.options;
    const ids = keyIdRange(state.nextKyberPreKeyId, count);
    state.nextKyberPreKeyId = nextKeyId(ids.at(-1) ?? state.nextKyberPreKeyId - 1);
    const out: KyberPreKeyWire[] = [];
    for (const keyId of ids) {
      const pair = await engine.keys.generateKemKeyPair();
      const signature = await engine.keys.sign(identityPrivate, pair.publicKey);
      await stores.kyberPreKey.storeKyberPreKey(
        keyId,
        await engine.records.kyberPreKeyRecord(keyId, this.now(), pair, signature),
      );
      out.push({ keyId, publicKey: toBase64(pair.publicKey), signature: toBase64(signature) });
      tick();
    }
    return out;
  }
}
