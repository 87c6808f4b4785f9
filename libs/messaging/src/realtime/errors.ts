/**
 * Codes of the realtime protocol: the `code` of an `error` event or of an error ack. Clients must
 * tolerate codes they do not know.
 */
export const REALTIME_ERROR_CODES = [
  /** The payload does not match the event's schema. `details.issues` lists the problems. */
  'VALIDATION_FAILED',
  /** An event name the server does not handle. */
  'UNKNOWN_EVENT',
  /** Sender and recipient are not paired, or one blocked the other. */
  'NOT_PAIRED',
  /** The device list is not exactly the current one: `details` is a {@link DeviceMismatchDetails}. */
  'DEVICES_MISMATCH',
  /** A ciphertext is larger than the configured limit (`details.maxBytes`). */
  'CIPHERTEXT_TOO_LARGE',
  /**
   * The ciphertexts of one send are too large together for the database to store in one statement
   * (`details.maxTotalBytes`); resending cannot succeed.
   */
  'MESSAGE_TOO_LARGE',
  /** More envelopes than the configured limit (`details.maxDevices`). */
  'TOO_MANY_DEVICES',
  /** The device sends faster than its limit (`details.retryAfterMs`). */
  'RATE_LIMITED',
  /** The socket's device was revoked or its session ended; reconnect with a new token. */
  'UNAUTHORIZED',
  /** The access token of this socket expired; the server closes it: reconnect with a fresh token. */
  'TOKEN_EXPIRED',
  'INTERNAL_ERROR',
] as const;

export type RealtimeErrorCode = (typeof REALTIME_ERROR_CODES)[number];

/**
 * Details of DEVICES_MISMATCH, like Signal's 409 (mismatched) and 410 (stale) answers: the sender
 * must fetch bundles for `missing`, drop `extra` and rebuild sessions for `stale`, then resend
 * under the same client message id.
 */
export interface DeviceMismatchDetails {
  /** Per user (recipient or the sender themself): active devices the send left out. */
  missing: { userId: string; deviceId: string }[];
  /** Devices in the send that are not (or no longer) active devices of that user. */
  extra: { deviceId: string }[];
  /** Devices whose registration id changed since the sender's session was built. */
  stale: { userId: string; deviceId: string }[];
}
