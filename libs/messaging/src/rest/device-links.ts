/**
 * Device linking (provisioning) over REST: a new device of an account gets the account identity key
 * pair from an existing device, end-to-end encrypted to an ephemeral X25519 key and a secret that
 * the new device shows only in a one-time code (neither is sent to the server). The server relays an
 * opaque ciphertext; it never sees the key pair.
 *
 * Binary fields are standard padded base64 (as in the key directory); the link token is base64url,
 * because it also travels inside the code the user copies or scans.
 */

/** A link (and its token) is usable this long after it was created. */
export const DEVICE_LINK_TTL_SECONDS = 600;
/** Random bytes of a link token (256 bits: guessing one is hopeless, so no per-attempt limit is needed). */
export const DEVICE_LINK_TOKEN_BYTES = 32;
/** X25519 public keys are 32 raw bytes (no 0x05 type byte: they never meet libsignal). */
export const DEVICE_LINK_PUBLIC_KEY_BYTES = 32;
/** AES-GCM nonce length. */
export const DEVICE_LINK_IV_BYTES = 12;
/**
 * Bounds of the sealed identity: version (1) + account id (16) + identity key pair (about 70) + GCM
 * tag (16) is about 100 bytes; the bounds leave room for a later version and refuse junk.
 */
export const DEVICE_LINK_CIPHERTEXT_MIN_BYTES = 16 + 1;
export const DEVICE_LINK_CIPHERTEXT_MAX_BYTES = 1024;

/** Error codes of the linking endpoints (apps/api/src/devices/devices.errors.ts). */
export const DEVICE_LINK_ERROR_CODES = {
  /** No such link of this account (unknown, another account's, or already delivered and deleted). */
  notFound: 'LINK_NOT_FOUND',
  /** The token does not belong to the link. */
  tokenInvalid: 'LINK_TOKEN_INVALID',
  /** The link was completed before: a code works once. */
  alreadyUsed: 'LINK_ALREADY_USED',
  /** The link is older than {@link DEVICE_LINK_TTL_SECONDS}. */
  expired: 'LINK_EXPIRED',
  /** A device cannot complete its own link. */
  ownDevice: 'LINK_OWN_DEVICE',
  /** Too many links created from this device; `details.retryAfterSeconds`. */
  rateLimited: 'LINK_RATE_LIMITED',
} as const;
export type DeviceLinkErrorCode = (typeof DEVICE_LINK_ERROR_CODES)[keyof typeof DEVICE_LINK_ERROR_CODES];

/**
 * Answer to `POST /devices/links` (no body: the new device's ephemeral key and code secret stay out
 * of the server's reach): what the server contributes to the code.
 */
export interface DeviceLinkCreatedDto {
  linkId: string;
  /** 32 random bytes, base64url; the server keeps only its SHA-256. */
  linkToken: string;
  expiresAt: string;
}

export type DeviceLinkStatus = 'pending' | 'completed' | 'expired';

/** The encrypted identity, as the completing device sent it. Only the new device is shown it. */
export interface DeviceLinkSealedDto {
  /** The completing device's ephemeral X25519 public key (32 bytes, base64). */
  ephemeralPublicKey: string;
  /** AES-256-GCM ciphertext with tag (base64). */
  ciphertext: string;
  /** 12-byte nonce (base64). */
  iv: string;
  completedAt: string;
}

/** `GET /devices/links/:linkId`, for any active device of the account. */
export interface DeviceLinkDto {
  linkId: string;
  /** The new device that asked to be linked. */
  deviceId: string;
  deviceName: string;
  createdAt: string;
  expiresAt: string;
  status: DeviceLinkStatus;
  /** Set for the new device itself once the link is completed; null for every other caller. */
  sealed: DeviceLinkSealedDto | null;
}

/** `POST /devices/links/:linkId/complete`, from an existing device holding the identity. */
export interface DeviceLinkCompleteRequestDto {
  /** The token from the code (base64url). */
  linkToken: string;
  ephemeralPublicKey: string;
  ciphertext: string;
  iv: string;
}
