/**
 * Parsed sender-key wire messages, engine-neutral (no native code, no secrets beyond the SKDM's
 * chain key). Mirrors libsignal-client's `SenderKeyDistributionMessage` and `SenderKeyMessage`.
 * Wire notes §9.
 * @module
 */
import { copyBytes } from '../bytes.js';
import { PublicKey } from '../curve.js';
import {
  decodeDistributionMessage,
  decodeSenderKeyMessage,
  encodeDistributionMessage,
  type DistributionFields,
  type SenderKeyMessageFields,
} from './messages.js';
import { SENDER_KEY_MESSAGE_VERSION } from './constants.js';

/**
 * A member's announcement of its sender chain for one distribution id: chain id, current
 * iteration, chain key and signing public key. It is secret (it lets the holder read all later
 * group messages on that chain) and travels only inside 1:1 encrypted messages.
 */
export class SenderKeyDistributionMessage {
  /** Sender-key message version (always 3). */
  readonly messageVersion = SENDER_KEY_MESSAGE_VERSION;
  /** Distribution id, lower-case hyphenated UUID. */
  readonly distributionId: string;
  /** 31-bit chain id. */
  readonly chainId: number;
  /** Chain iteration the chain key belongs to. */
  readonly iteration: number;
  /** The sender's signing public key for this chain. */
  readonly signingKey: PublicKey;
  readonly #chainKey: Uint8Array;
  readonly #serialized: Uint8Array;

  private constructor(fields: DistributionFields, serialized: Uint8Array) {
    this.signingKey = PublicKey.deserialize(fields.signingKey);
    this.distributionId = fields.distributionId;
    this.chainId = fields.chainId;
    this.iteration = fields.iteration;
    this.#chainKey = copyBytes(fields.chainKey);
    this.#serialized = copyBytes(serialized);
  }

  /**
   * Builds a message from its fields (used by the engines' `createDistributionMessage`).
   * @param fields distribution id, chain id, iteration, 32-byte chain key, 33-byte signing key
   * @returns the message
   * @throws TypeError / RangeError on malformed fields; ProtocolError `BadKeyType` on a bad key
   */
  static fromFields(fields: DistributionFields): SenderKeyDistributionMessage {
    return new SenderKeyDistributionMessage(fields, encodeDistributionMessage(fields));
  }

  /**
   * Parses a received distribution message.
   * @param bytes serialized message (`0x33 || protobuf`)
   * @returns the message
   * @throws ProtocolError `CiphertextMessageTooShort`, `LegacyCiphertextVersion`,
   *   `UnrecognizedCiphertextVersion`, `InvalidProtobufEncoding` or `BadKeyType`
   */
  static deserialize(bytes: Uint8Array): SenderKeyDistributionMessage {
    return new SenderKeyDistributionMessage(decodeDistributionMessage(bytes), bytes);
  }

  /** @returns a copy of the wire bytes */
  serialize(): Uint8Array {
    return copyBytes(this.#serialized);
  }

  /** @returns a copy of the 32-byte chain key (secret) */
  chainKey(): Uint8Array {
    return copyBytes(this.#chainKey);
  }
}

/** A parsed group message. Parsing does not verify the signature; see {@link verifySignature}. */
export class SenderKeyMessage {
  /** Sender-key message version (always 3). */
  readonly messageVersion = SENDER_KEY_MESSAGE_VERSION;
  /** Distribution id, lower-case hyphenated UUID: tells the receiver which group this is. */
  readonly distributionId: string;
  /** Chain id of the sender's chain. */
  readonly chainId: number;
  /** Chain iteration of this message. */
  readonly iteration: number;
  readonly #fields: SenderKeyMessageFields;
  readonly #serialized: Uint8Array;

  private constructor(serialized: Uint8Array) {
    this.#serialized = copyBytes(serialized);
    this.#fields = decodeSenderKeyMessage(this.#serialized);
    this.distributionId = this.#fields.distributionId;
    this.chainId = this.#fields.chainId;
    this.iteration = this.#fields.iteration;
  }

  /**
   * Parses a group message.
   * @param bytes serialized message (`0x33 || protobuf || signature`)
   * @returns the message
   * @throws ProtocolError `CiphertextMessageTooShort`, `LegacyCiphertextVersion`,
   *   `UnrecognizedCiphertextVersion` or `InvalidProtobufEncoding`
   */
  static deserialize(bytes: Uint8Array): SenderKeyMessage {
    return new SenderKeyMessage(bytes);
  }

  /** @returns a copy of the AES-256-CBC ciphertext */
  ciphertext(): Uint8Array {
    return copyBytes(this.#fields.ciphertext);
  }

  /** @returns a copy of the wire bytes */
  serialize(): Uint8Array {
    return copyBytes(this.#serialized);
  }

  /**
   * Checks the XEdDSA signature over every byte before it.
   * @param signingKey the sender's signing public key (from the record or the SKDM)
   * @returns true iff the signature is valid
   */
  verifySignature(signingKey: PublicKey): boolean {
    return signingKey.verify(this.#fields.signedPart, this.#fields.signature);
  }

  /**
   * {@link verifySignature}, same result, on WebCrypto Ed25519 where the platform allows it
   * (see `PublicKey.verifyAsync`).
   * @param signingKey the sender's signing public key (from the record or the SKDM)
   * @returns true iff the signature is valid
   */
  verifySignatureAsync(signingKey: PublicKey): Promise<boolean> {
    return signingKey.verifyAsync(this.#fields.signedPart, this.#fields.signature);
  }
}
