/**
 * Key directory policy: how many prekeys a device keeps on the server, when it replenishes and
 * rotates them, and how long replaced keys stay usable. Client (key manager) and server (key
 * directory, rotation jobs) read the same constants, so they can never disagree.
 * @module
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Largest key id. Signal uses 24-bit ids ("Medium"); ids grow monotonically and wrap to 1. */
export const MAX_KEY_ID = 0xff_ffff;

/** One-time prekeys (EC and Kyber each) per upload: enough for a burst of new contacts, small enough for one request. */
export const MAX_PREKEYS_PER_UPLOAD = 100;

/**
 * Largest `PUT /keys` body: a full upload (100 one-time Kyber keys plus the last-resort one at about
 * 2.2 KB of base64 each, 100 EC keys, the signed key) is about 235 KB; this leaves headroom.
 */
export const MAX_KEYS_UPLOAD_BYTES = 320 * 1024;

/** One-time prekeys a device tops up to (per kind). */
export const ONE_TIME_PREKEY_TARGET = 100;

/** Below this many one-time prekeys (of either kind) the server tells the device to replenish. */
export const REPLENISH_THRESHOLD = 10;

/** Clients rotate the signed EC prekey and the last-resort Kyber prekey this often (Signal: 2 days). */
export const SIGNED_PREKEY_ROTATION_MS = 2 * DAY_MS;

/** The server treats a signed or last-resort key older than this as out of date and tells the device. */
export const SIGNED_PREKEY_MAX_AGE_MS = 14 * DAY_MS;

/**
 * A replaced signed or last-resort prekey stays usable this long: a PreKey message built on the
 * old key may sit in the recipient's queue until envelopes expire (30 days by default).
 */
export const REPLACED_PREKEY_GRACE_MS = 30 * DAY_MS;

/** Registration ids are 14-bit and non-zero, as libsignal's `generate_registration_id`. */
export const MAX_REGISTRATION_ID = 16_380;

/** The id after `id`, wrapping from {@link MAX_KEY_ID} back to 1 (0 is never used). */
export function nextKeyId(id: number): number {
  return id >= MAX_KEY_ID ? 1 : id + 1;
}

/** `count` consecutive ids starting at `first`, wrapping like {@link nextKeyId}. */
export function keyIdRange(first: number, count: number): number[] {
  const ids: number[] = [];
  for (let id = first, i = 0; i < count; i++, id = nextKeyId(id)) ids.push(id);
  return ids;
}

/** Counts of one-time prekeys a device still has on the server. */
export interface PreKeyCounts {
  ecPreKeys: number;
  kyberPreKeys: number;
}

/** True when either kind of one-time prekey has fallen below {@link REPLENISH_THRESHOLD}. */
export function needsReplenish(counts: PreKeyCounts, threshold = REPLENISH_THRESHOLD): boolean {
  return counts.ecPreKeys < threshold || counts.kyberPreKeys < threshold;
}

/** How many keys of each kind to generate so the server holds {@link ONE_TIME_PREKEY_TARGET} again. */
export function replenishAmounts(counts: PreKeyCounts, target = ONE_TIME_PREKEY_TARGET): PreKeyCounts {
  const clamp = (have: number) => Math.min(MAX_PREKEYS_PER_UPLOAD, Math.max(0, target - have));
  return { ecPreKeys: clamp(counts.ecPreKeys), kyberPreKeys: clamp(counts.kyberPreKeys) };
}

/** True when a signed or last-resort key made at `createdAt` (ms) should be rotated at `now`. */
export function rotationDue(createdAt: number, now: number, interval = SIGNED_PREKEY_ROTATION_MS): boolean {
  return now - createdAt >= interval;
}

/** True when the server should consider a key uploaded at `uploadedAt` out of date. */
export function isOutOfDate(uploadedAt: number, now: number, maxAge = SIGNED_PREKEY_MAX_AGE_MS): boolean {
  return now - uploadedAt > maxAge;
}

/** True when a key replaced at `replacedAt` has outlived its grace period and may be deleted. */
export function graceExpired(replacedAt: number, now: number, grace = REPLACED_PREKEY_GRACE_MS): boolean {
  return now - replacedAt > grace;
}
