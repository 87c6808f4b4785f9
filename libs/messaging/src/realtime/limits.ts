/**
 * Named limits of the realtime protocol. The server may be configured lower or higher for some of
 * them (see the api's configuration); these are the defaults and the hard caps of the wire schema.
 */

/** Default largest decoded ciphertext per device, in bytes (64 KiB: text and small media keys fit). */
export const DEFAULT_MAX_CIPHERTEXT_BYTES = 64 * 1024;

/**
 * Hard cap of the wire schema on one ciphertext (1 MiB decoded). The configured limit is checked
 * separately and answers CIPHERTEXT_TOO_LARGE; this cap only bounds what the parser accepts.
 */
export const MAX_CIPHERTEXT_BYTES_CAP = 1024 * 1024;

/**
 * Most envelopes one `message:send` may carry: recipient devices plus the sender's own other devices.
 * Two accounts of at most 100 devices each (the api's MAX_DEVICES_PER_USER cap) fit.
 */
export const MAX_ENVELOPES_PER_MESSAGE = 200;

/** Most envelope ids one `message:ack` may carry (one drain page). */
export const MAX_ACK_IDS = 100;

/** A device drains its queue in pages of this many envelopes, waiting for their acks in between. */
export const QUEUE_PAGE_SIZE = 100;

/** Typing frames older than this are dropped (by the server on receipt, and by the SDK on arrival). */
export const TYPING_MAX_AGE_MS = 10_000;

/** Most users one `presence:get` may ask about. */
export const MAX_PRESENCE_QUERY = 100;

/** Client message ids are chosen by the sending device: 1-64 characters of [A-Za-z0-9_-]. */
export const CLIENT_MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
