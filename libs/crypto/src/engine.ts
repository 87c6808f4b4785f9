/**
 * The one engine interface. It mirrors `@signalapp/libsignal-client`'s protocol API (key
 * generation, XEdDSA, KEM keys, prekey records, `processPreKeyBundle`, `signalEncrypt`,
 * `signalDecrypt`/`signalDecryptPreKey`, group cipher, fingerprints) over plain bytes, so the same
 * app code and conformance scenarios run on either implementation:
 *
 * - `tsEngine` (`@pairchat/crypto`): TypeScript on `@noble/*`, browser-safe;
 * - `nativeEngine` (`@pairchat/crypto/native`): a thin adapter over libsignal-client, Node only.
 *
 * Keys and records cross the interface serialised in libsignal's formats, so key material made by
 * one engine is usable by the other. Session records are engine-specific.
 * @module
 */
import type { ProtocolAddress } from './address.js';
import type { CiphertextMessageType } from './constants.js';
import type { Fingerprints } from './fingerprint/api.js';
import type { GroupCipher } from './sender-keys/api.js';
import type { ProtocolStores } from './stores.js';

/** A Curve25519 key pair, serialised: public `0x05 || u` (33 B), private 32 B. */
export interface KeyPairBytes {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** A Kyber1024 key pair, serialised with type byte 0x08: public 1569 B, secret 3169 B. */
export interface KemKeyPairBytes {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** What a recipient device publishes (libsignal `PreKeyBundle`). All keys serialised. */
export interface PreKeyBundle {
  registrationId: number;
  deviceId: number;
  /** One-time prekey id and public key; both null if the server had none left. */
  preKeyId: number | null;
  preKey: Uint8Array | null;
  signedPreKeyId: number;
  signedPreKey: Uint8Array;
  /** XEdDSA by the identity key over the serialised signed prekey. */
  signedPreKeySignature: Uint8Array;
  identityKey: Uint8Array;
  kyberPreKeyId: number;
  /** `0x08 || pk` (1569 B). Mandatory in libsignal 0.103. */
  kyberPreKey: Uint8Array;
  /** XEdDSA by the identity key over the serialised Kyber prekey. */
  kyberPreKeySignature: Uint8Array;
}

/** An encrypted 1:1 message: its type (Whisper 2 or PreKey 3) and serialised bytes. */
export interface CiphertextMessage {
  type: CiphertextMessageType;
  body: Uint8Array;
}

/** Key operations of one engine (libsignal `PrivateKey`/`PublicKey`/`IdentityKeyPair`/`KEMKeyPair`). */
export interface KeyApi {
  /** A fresh Curve25519 key pair. */
  generateKeyPair(): Promise<KeyPairBytes>;
  /** A fresh identity key pair serialised as `IdentityKeyPairStructure`. */
  generateIdentityKeyPair(): Promise<Uint8Array>;
  /** The public key of a private key. @throws ProtocolError `BadKeyLength` */
  publicKeyOf(privateKey: Uint8Array): Promise<Uint8Array>;
  /** XEdDSA over `message`. */
  sign(privateKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** XEdDSA verification; false on any invalid signature. @throws ProtocolError on a malformed key */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** X25519. @throws ProtocolError `InvalidKeyAgreement` on an all-zero secret */
  agree(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  /** A fresh Kyber1024 (type 0x08) key pair. */
  generateKemKeyPair(): Promise<KemKeyPairBytes>;
}

/** Prekey record construction (libsignal `PreKeyRecord.new` etc.); records use the storage protobufs. */
export interface RecordApi {
  /** A one-time prekey record. */
  preKeyRecord(id: number, keyPair: KeyPairBytes): Promise<Uint8Array>;
  /** A signed prekey record; `timestamp` in ms since the epoch. */
  signedPreKeyRecord(id: number, timestamp: number, keyPair: KeyPairBytes, signature: Uint8Array): Promise<Uint8Array>;
  /** A signed Kyber prekey record. */
  kyberPreKeyRecord(
    id: number,
    timestamp: number,
    keyPair: KemKeyPairBytes,
    signature: Uint8Array,
  ): Promise<Uint8Array>;
}

/** The 1:1 session part of an engine (libsignal `session_cipher.rs`, `session.rs`). */
export interface SessionApi {
  /**
   * Verifies both bundle signatures, runs PQXDH as the initiator and stores a new session for
   * `address` (archiving any previous one). Checks `isTrustedIdentity(Sending)` and saves the
   * identity.
   * @param now - clock, for the unacknowledged-session age limit
   * @throws ProtocolError `SignatureValidationFailed`, `UntrustedIdentity`, key errors
   */
  processPreKeyBundle(
    bundle: PreKeyBundle,
    address: ProtocolAddress,
    localAddress: ProtocolAddress,
    stores: ProtocolStores,
    now?: Date,
  ): Promise<void>;
  /**
   * Encrypts one message on the current session with `address`. Until the peer has answered, the
   * result is a PreKey message.
   * @throws ProtocolError `SessionNotFound` (no session, or unacknowledged for 30 days),
   *   `UntrustedIdentity`
   */
  encrypt(
    plaintext: Uint8Array,
    address: ProtocolAddress,
    localAddress: ProtocolAddress,
    stores: ProtocolStores,
    now?: Date,
  ): Promise<CiphertextMessage>;
  /**
   * Decrypts a Whisper or PreKey message from `address`. On any failure the stores are unchanged.
   * @throws ProtocolError `DuplicatedMessage`, `InvalidMessage`, `SessionNotFound`,
   *   `UntrustedIdentity`, `InvalidPreKeyId`/`InvalidSignedPreKeyId`/`InvalidKyberPreKeyId`,
   *   parse errors (`InvalidProtobufEncoding`, `LegacyCiphertextVersion`, ...)
   */
  decrypt(
    message: CiphertextMessage,
    address: ProtocolAddress,
    localAddress: ProtocolAddress,
    stores: ProtocolStores,
  ): Promise<Uint8Array>;
  /** True if a usable (sendable) session with `address` exists. */
  hasCurrentSession(address: ProtocolAddress, stores: ProtocolStores, now?: Date): Promise<boolean>;
}

/** A protocol engine: keys, records, sessions, plus group cipher and fingerprints. */
export interface ProtocolEngine extends SessionApi {
  /** `'ts'` or `'native'`. */
  readonly name: string;
  readonly keys: KeyApi;
  readonly records: RecordApi;
  /** Sender keys (groups); see `src/sender-keys/api.ts`. */
  readonly groups: GroupCipher;
  /** Safety numbers; see `src/fingerprint/api.ts`. */
  readonly fingerprints: Fingerprints;
}
