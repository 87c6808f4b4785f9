/**
 * Named limits and labels of the sender-key (group) protocol. Values follow libsignal
 * `rust/protocol/src/consts.rs`, `sender_keys.rs` and `protocol.rs`; wire notes §9.
 * @module
 */

/**
 * Sender-key message version, the high and low nibble of every SenderKeyMessage and
 * SenderKeyDistributionMessage first byte (`0x33`). libsignal rejects any other high nibble, so
 * there is no negotiation to do.
 */
export const SENDER_KEY_MESSAGE_VERSION = 3;

/**
 * States kept per (sender, distribution id). A sender that rotates its key (new chain id) keeps old
 * chains decryptable for a while; 5 is libsignal's `MAX_SENDER_KEY_STATES`, enough to cover a few
 * rotations racing in-flight messages while bounding the record size.
 */
export const MAX_SENDER_KEY_STATES = 5;

/**
 * Largest iteration jump a receiver will derive forward in one message. Each skipped step is an
 * HMAC, so this bounds the work a hostile sender can make us do per message (libsignal
 * `MAX_FORWARD_JUMPS`, shared with the 1:1 ratchet).
 */
export const SENDER_KEY_MAX_FORWARD_JUMPS = 25_000;

/**
 * Skipped message-key seeds kept per state for out-of-order delivery; the oldest is evicted first.
 * Bounds record size (about 40 bytes per seed in storage) while tolerating heavy reordering
 * (libsignal `MAX_MESSAGE_KEYS`).
 */
export const SENDER_KEY_MAX_MESSAGE_KEYS = 2000;

/** HMAC input that derives a message-key seed from a chain key (libsignal `MESSAGE_KEY_SEED`). */
export const SENDER_MESSAGE_KEY_SEED = Uint8Array.of(0x01);
/** HMAC input that advances a chain key (libsignal `CHAIN_KEY_SEED`). */
export const SENDER_CHAIN_KEY_SEED = Uint8Array.of(0x02);

/**
 * HKDF info for message keys: 48 bytes, IV first (`o[0..16]`), then the AES-256 key (`o[16..48]`).
 * The order is the reverse of the 1:1 "WhisperMessageKeys" split: do not "fix" it.
 */
export const SENDER_KEY_HKDF_INFO = new TextEncoder().encode('WhisperGroup');
/** Length of the HKDF output above. */
export const SENDER_KEY_DERIVED_LENGTH = 48;
/** AES-CBC IV length, the first part of the HKDF output. */
export const SENDER_KEY_IV_LENGTH = 16;
/** AES-256 key length, the second part of the HKDF output. */
export const SENDER_KEY_CIPHER_KEY_LENGTH = 32;

/** Chain-key length; the SKDM parser rejects anything else. */
export const SENDER_CHAIN_KEY_LENGTH = 32;
/** Serialized Curve25519 signing key: 0x05 type byte + 32 bytes (notes §1.1). */
export const SENDER_SIGNING_KEY_LENGTH = 33;
/** XEdDSA signature appended to every SenderKeyMessage. */
export const SENDER_KEY_SIGNATURE_LENGTH = 64;
/** Distribution ids are UUIDs carried as 16 raw bytes. */
export const DISTRIBUTION_ID_LENGTH = 16;
/** Iterations are uint32 on the wire; the chain cannot advance past this. */
export const MAX_SENDER_KEY_ITERATION = 0xffff_ffff;
