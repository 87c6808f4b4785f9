/**
 * The group (sender-key) part of the engine interface. It mirrors libsignal-client 0.103's
 * `SenderKeyDistributionMessage.create`, `processSenderKeyDistributionMessage`, `groupEncrypt`,
 * `groupDecrypt` and `SenderKeyStore`, so app code runs unchanged on either engine.
 *
 * Like the rest of the engine interface it works on serialized bytes; the parsed views
 * `SenderKeyDistributionMessage` / `SenderKeyMessage` (`./distribution-message.ts`) are there for
 * apps that need a field such as the distribution id of an incoming message.
 *
 * How groups work (wire notes §9): each member has, per distribution id (one per group), a sender
 * chain and a signing key. It sends a sender-key distribution message (SKDM) to every member
 * inside an ordinary 1:1 encrypted message; after that, one {@link GroupCipher.encrypt} produces a
 * single ciphertext that every member decrypts. Group messages are signed (XEdDSA), not MACed:
 * members can verify, but cannot forge, each other's messages. Forward secrecy comes from the
 * one-way chain (HMAC steps); there is no post-compromise healing until the sender rotates its key.
 * @module
 */
import type { ProtocolAddress } from '../address.js';

/**
 * Persistent storage of sender-key records, one opaque record per (sender address, distribution
 * id). Records are libsignal's `SenderKeyRecordStructure` protobuf in both engines, so a store may
 * be shared by them. Records hold chain keys and, for our own chains, the signing private key:
 * store them as secret as session records.
 *
 * Each engine call reads the record once, writes it at most once, and awaits both before it
 * returns. The app must not run two group operations on the same (sender, distribution id)
 * concurrently (same rule as libsignal): the second write would undo the first.
 */
export interface SenderKeyStore {
  /**
   * Stores `record`, replacing any record for the same (sender, distribution id). The record must
   * be durable when the promise resolves: the engine returns its ciphertext or plaintext only
   * after that, and reusing an old record would reuse message keys.
   * @param sender who owns the chain (our own address for chains we send on)
   * @param distributionId lower-case hyphenated UUID
   * @param record serialized record; the store must keep its own copy
   */
  saveSenderKey(sender: ProtocolAddress, distributionId: string, record: Uint8Array): Promise<void>;
  /**
   * Returns the last record saved for (sender, distribution id), or `null` if there is none.
   * @param sender who owns the chain
   * @param distributionId lower-case hyphenated UUID
   */
  getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<Uint8Array | null>;
}

/**
 * Sender-key operations of one engine. Every method reads and writes only through `store`; a call
 * that throws leaves the store unchanged.
 */
export interface GroupCipher {
  /**
   * Returns the distribution message for our own chain on `distributionId`, creating the chain
   * (random 31-bit chain id, random chain key, fresh signing key pair) on first use. Calling it
   * again returns the current chain position; it does not rotate the key. To rotate, delete the
   * record and call again.
   * @param sender our own address
   * @param distributionId the group's distribution id (UUID string)
   * @param store where our chain lives
   * @returns the serialized SKDM (`0x33 || protobuf`) to send to each member over 1:1 sessions;
   *   it contains the chain key, so it is secret
   * @throws TypeError if `distributionId` is not a UUID string; ProtocolError
   *   `InvalidSenderKeySession` if the stored record is unusable
   */
  createDistributionMessage(
    sender: ProtocolAddress,
    distributionId: string,
    store: SenderKeyStore,
  ): Promise<Uint8Array>;

  /**
   * Records a member's chain from their distribution message. Processing the same message again
   * keeps the progress already made on that chain.
   * @param sender the member who sent it (the address the 1:1 message came from)
   * @param message the serialized SKDM
   * @param store where the member's chain is kept
   * @throws ProtocolError on a malformed message (`CiphertextMessageTooShort`,
   *   `LegacyCiphertextVersion`, `UnrecognizedCiphertextVersion`, `InvalidProtobufEncoding`,
   *   `BadKeyType`)
   */
  processDistributionMessage(sender: ProtocolAddress, message: Uint8Array, store: SenderKeyStore): Promise<void>;

  /**
   * Encrypts one group message on our chain and advances it.
   * @param sender our own address
   * @param distributionId the group's distribution id
   * @param store where our chain lives
   * @param plaintext message bytes
   * @returns a serialized SenderKeyMessage (`CiphertextMessageType.SenderKey`)
   * @throws TypeError if `distributionId` is not a UUID string; ProtocolError `NoSenderKeyState` if no chain was created for `distributionId`,
   *   `InvalidSenderKeySession` if our state has no signing private key
   */
  encrypt(
    sender: ProtocolAddress,
    distributionId: string,
    store: SenderKeyStore,
    plaintext: Uint8Array,
  ): Promise<Uint8Array>;

  /**
   * Verifies and decrypts a group message from `sender`.
   * @param sender the member who sent it
   * @param store where the member's chains are kept
   * @param message serialized SenderKeyMessage
   * @returns the plaintext
   * @throws ProtocolError `NoSenderKeyState` (no distribution message processed for this chain),
   *   `SignatureValidationFailed`, `DuplicatedMessage`, `InvalidMessage` (too far in the future or
   *   bad padding), or a parse error (`InvalidProtobufEncoding`, `LegacyCiphertextVersion`, ...)
   */
  decrypt(sender: ProtocolAddress, store: SenderKeyStore, message: Uint8Array): Promise<Uint8Array>;
}
