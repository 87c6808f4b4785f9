/**
 * The five protocol stores, as async interfaces over SERIALISED records (`Uint8Array`), so one
 * store implementation (IndexedDB, SQL, in-memory) serves both engines. Promises follow libsignal
 * `rust/protocol/src/storage/traits.rs`.
 *
 * Formats: prekey, signed-prekey and Kyber-prekey records are libsignal's storage protobufs and
 * load in either engine; identity keys are serialised public keys (`0x05 || u`); session records
 * are engine-specific (a record written by one engine is opaque to the other).
 *
 * Engines call these methods sequentially within one operation and write only after the operation
 * succeeded, so a failed decrypt leaves every store unchanged. The app must not run two operations
 * for the same remote address concurrently (as with libsignal).
 * @module
 */
import type { ProtocolAddress } from './address.js';

/** Direction of use when asking whether an identity is trusted (libsignal `Direction`). */
export const Direction = { Sending: 0, Receiving: 1 } as const;
/** A {@link Direction} value. */
export type Direction = (typeof Direction)[keyof typeof Direction];

/** Result of {@link IdentityKeyStore.saveIdentity} (libsignal `IdentityChange`). */
export const IdentityChange = { NewOrUnchanged: 0, ReplacedExisting: 1 } as const;
/** An {@link IdentityChange} value. */
export type IdentityChange = (typeof IdentityChange)[keyof typeof IdentityChange];

/** Session records, one per remote address. */
export interface SessionStore {
  /**
   * Returns the session record last stored for `address`, or `null` if there is none.
   * The returned bytes may be mutated by the caller: return a copy.
   */
  loadSession(address: ProtocolAddress): Promise<Uint8Array | null>;
  /**
   * Stores `record` for `address`, replacing any previous one. Durable when the promise resolves;
   * the store must keep its own copy.
   */
  storeSession(address: ProtocolAddress, record: Uint8Array): Promise<void>;
}

/** Our identity and the identities we have seen. Decides trust. */
export interface IdentityKeyStore {
  /** Our identity key pair, serialised as libsignal's `IdentityKeyPairStructure`. */
  getIdentityKeyPair(): Promise<Uint8Array>;
  /** Our registration id (1..16380 in Signal; any u32 is carried). */
  getLocalRegistrationId(): Promise<number>;
  /**
   * Records `identityKey` (serialised public key) as the identity of `address`.
   * @returns `ReplacedExisting` if a different key was stored before, else `NewOrUnchanged`
   */
  saveIdentity(address: ProtocolAddress, identityKey: Uint8Array): Promise<IdentityChange>;
  /**
   * Whether `identityKey` may be used with `address` in `direction`. The usual policy is trust on
   * first use: true if nothing is stored or the stored key is equal; false if it differs (the engine
   * then throws `UntrustedIdentity`; it never replaces the key silently).
   */
  isTrustedIdentity(address: ProtocolAddress, identityKey: Uint8Array, direction: Direction): Promise<boolean>;
  /** The identity stored for `address`, or `null`. */
  getIdentity(address: ProtocolAddress): Promise<Uint8Array | null>;
}

/** One-time EC prekeys (libsignal `PreKeyRecordStructure`). */
export interface PreKeyStore {
  /** The record with id `id`, or `null` if it does not exist (e.g. already used). */
  loadPreKey(id: number): Promise<Uint8Array | null>;
  /** Stores a record under `id`, replacing any previous one. */
  storePreKey(id: number, record: Uint8Array): Promise<void>;
  /** Deletes the record; called once a PreKey message using it decrypted. Deleting a missing id is not an error. */
  removePreKey(id: number): Promise<void>;
}

/** Signed EC prekeys (libsignal `SignedPreKeyRecordStructure`). */
export interface SignedPreKeyStore {
  /** The record with id `id`, or `null`. */
  loadSignedPreKey(id: number): Promise<Uint8Array | null>;
  /** Stores a record under `id`, replacing any previous one. */
  storeSignedPreKey(id: number, record: Uint8Array): Promise<void>;
}

/** Signed Kyber prekeys (libsignal `SignedPreKeyRecordStructure` with 0x08 keys). */
export interface KyberPreKeyStore {
  /** The record with id `id`, or `null`. */
  loadKyberPreKey(id: number): Promise<Uint8Array | null>;
  /** Stores a record under `id`, replacing any previous one. */
  storeKyberPreKey(id: number, record: Uint8Array): Promise<void>;
  /**
   * Called after a PreKey message using Kyber prekey `kyberPreKeyId` (with signed prekey
   * `signedPreKeyId` and Alice's `baseKey`, serialised) decrypted. A one-time Kyber prekey must be
   * deleted. A last-resort key is kept, but the store must reject (throw) a second use of the same
   * (kyber id, signed prekey id, base key) triple, which would be a replay.
   */
  markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: Uint8Array): Promise<void>;
}

/** The stores one engine call needs, bundled. */
export interface ProtocolStores {
  session: SessionStore;
  identity: IdentityKeyStore;
  preKey: PreKeyStore;
  signedPreKey: SignedPreKeyStore;
  kyberPreKey: KyberPreKeyStore;
}
