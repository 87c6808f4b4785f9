/**
 * Every protocol limit and label in one place, with the reason for its value.
 * Sources: libsignal `rust/protocol/src/consts.rs`, `ratchet/keys.rs`, `pqxdh.rs`, SPQR `src/chain.rs`;
 * see /work/shared/protocol/libsignal-wire-notes.md for the section numbers quoted below.
 * @module
 */

/** Lowest device id libsignal-client 0.103 accepts in `ProtocolAddress.new`. */
export const MIN_DEVICE_ID = 1;
/** Highest device id: the `addresses` field stores the device id in one byte, libsignal caps it at 127. */
export const MAX_DEVICE_ID = 127;

// ---- keys (§1) ----
/** Type byte of a serialised Curve25519 public key ("Djb"). */
export const CURVE25519_KEY_TYPE = 0x05;
/** Raw X25519 key / shared-secret length. */
export const CURVE25519_KEY_LENGTH = 32;
/** Serialised public key length: type byte + u-coordinate. Longer input is rejected (libsignal only warns). */
export const PUBLIC_KEY_LENGTH = 33;
/** XEdDSA signature length: R (32) || s (32). */
export const SIGNATURE_LENGTH = 64;
/** Per-signature randomness Z for XEdDSA. */
export const XEDDSA_RANDOM_LENGTH = 64;
/** Type byte of a Kyber1024 (NIST round 3) KEM key; the only KEM type libsignal 0.103 accepts. */
export const KYBER1024_KEY_TYPE = 0x08;
/** Raw Kyber1024 public key length. */
export const KYBER1024_PUBLIC_KEY_LENGTH = 1568;
/** Raw Kyber1024 secret key length: dk_pke || ek || H(ek) || z. */
export const KYBER1024_SECRET_KEY_LENGTH = 3168;
/** Seed of Kyber/ML-KEM key generation: d (32) || z (32). */
export const KYBER1024_KEYGEN_SEED_LENGTH = 64;
/** Encapsulation randomness m (hashed once more by round 3 before use). */
export const KYBER1024_ENCAPS_RANDOM_LENGTH = 32;
/** Raw Kyber1024 ciphertext length. */
export const KYBER1024_CIPHERTEXT_LENGTH = 1568;
/** KEM shared secret length. */
export const KEM_SHARED_SECRET_LENGTH = 32;

// ---- PQXDH (§2) ----
/** HKDF info of PQXDH with X25519 + Kyber1024; names the KEM so a different KEM can never give the same keys. */
export const PQXDH_INFO = 'WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024';
/** 32 0xFF bytes prefixed to the DH outputs: domain separation from XEdDSA, per the X3DH spec. */
export const PQXDH_DISCONTINUITY_BYTES = 32;
/** PQXDH output: root key (32) || chain key (32) || SPQR auth key (32). */
export const PQXDH_OUTPUT_LENGTH = 96;
/** Session/message version emitted and accepted: 4 = PQXDH + SPQR. Version 3 (X3DH) is rejected by 0.103. */
export const CIPHERTEXT_MESSAGE_CURRENT_VERSION = 4;
/** Lowest version nibble still recognised as a Signal message (older ones are "legacy"). */
export const MIN_RECOGNISED_MESSAGE_VERSION = 3;
/** Highest prekey id: ids are u32 on the wire (Signal itself uses 24 bits). */
export const MAX_PREKEY_ID = 0xffff_ffff;
/** First byte of a SignalMessage / PreKeySignalMessage: (version << 4) | current version. */
export const CIPHERTEXT_VERSION_BYTE = (CIPHERTEXT_MESSAGE_CURRENT_VERSION << 4) | CIPHERTEXT_MESSAGE_CURRENT_VERSION;

// ---- Double Ratchet (§3) ----
/** HKDF info of the root-key step. */
export const ROOT_KDF_INFO = 'WhisperRatchet';
/** HKDF info of message-key derivation. */
export const MESSAGE_KEYS_INFO = 'WhisperMessageKeys';
/** HMAC input byte that derives a message-key seed from a chain key. */
export const MESSAGE_KEY_SEED = 0x01;
/** HMAC input byte that advances a chain key. */
export const CHAIN_KEY_SEED = 0x02;
/** Message keys: AES key (32) || MAC key (32) || IV (16). */
export const MESSAGE_KEYS_LENGTH = 80;
/** Truncated SignalMessage MAC length; libsignal sends 8 bytes to save space, 64 bits suffice for an online forgery bound. */
export const MAC_LENGTH = 8;
/** Bounds work and memory an attacker can force with a single message counter. */
export const MAX_FORWARD_JUMPS = 25_000;
/** Skipped-message seeds kept per receiver chain; the oldest is dropped beyond this. */
export const MAX_MESSAGE_KEYS = 2_000;
/** Receiver chains kept per session; older ratchet keys are dropped. */
export const MAX_RECEIVER_CHAINS = 5;
/** Previous sessions kept per address for late messages (Sesame). */
export const ARCHIVED_STATES_MAX_LENGTH = 40;
/** An initiator session not acknowledged by the peer within this time refuses to encrypt (ms). */
export const MAX_UNACKNOWLEDGED_SESSION_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** Length of the `addresses` SignalMessage field: two fixed-width ServiceIds + device bytes. */
export const MESSAGE_ADDRESSES_LENGTH = 36;

// ---- SPQR chain (§8) ----
/** SPQR message version byte we send and accept (V1). 0x02 is refused by the 0.103 binary (§8.9). */
export const SPQR_VERSION_V1 = 0x01;
/** HKDF info of the epoch-0 SPQR chain; the two spaces before "Start" are in the reference. */
export const SPQR_CHAIN_START_INFO = 'Signal PQ Ratchet V1 Chain  Start';
/** HKDF info suffix of one SPQR chain step (prefixed by BE32(counter)). */
export const SPQR_CHAIN_NEXT_INFO = 'Signal PQ Ratchet V1 Chain Next';
/** Forward jump limit of an SPQR receive chain (chain_params.max_jump). */
export const SPQR_MAX_JUMP = 25_000;
/** Out-of-order SPQR keys kept per receive chain (chain_params.max_ooo_keys). */
export const SPQR_MAX_OOO_KEYS = 2_000;
/** SPQR message type "None": no chunk payload. Chain-only SPQR only ever sends this. */
export const SPQR_MSG_TYPE_NONE = 0;
/** SPQR message type "Ct1Ack": like None, carries no chunk. */
export const SPQR_MSG_TYPE_CT1_ACK = 4;
/** Highest SPQR message type byte (Ct2). */
export const SPQR_MSG_TYPE_MAX = 6;
/** Chunk size in SPQR chunk messages. */
export const SPQR_CHUNK_LENGTH = 32;
/** Highest chunk index the reference accepts. */
export const SPQR_MAX_CHUNK_INDEX = 65_535;
/** Epoch we stay in: chain-only SPQR never completes an ML-KEM epoch, so headers always say 1. */
export const SPQR_CHAIN_ONLY_EPOCH = 1;

// ---- wire (§5) ----
/** CiphertextMessageType values (libsignal-client). */
export const CiphertextMessageType = { Whisper: 2, PreKey: 3, SenderKey: 7, Plaintext: 8 } as const;
/** A CiphertextMessageType value. */
export type CiphertextMessageType = (typeof CiphertextMessageType)[keyof typeof CiphertextMessageType];
