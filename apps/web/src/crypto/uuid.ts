/** UUIDs as bytes (link ids, account ids in safety numbers and sealed identities). Page-safe. @module */

/** Bytes of a UUID. */
export const UUID_BYTES = 16;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its usual text form (either case). */
export const isUuid = (text: unknown): text is string => typeof text === 'string' && UUID_RE.test(text);

/**
 * The 16 bytes of a UUID (the stable identifier in safety numbers, as Signal's ACI).
 * @throws TypeError naming `field` unless `uuid` is one
 */
export function uuidBytes(uuid: string, field = 'uuid'): Uint8Array {
  if (!isUuid(uuid)) throw new TypeError(`${field}: expected a UUID`);
  const hex = uuid.replaceAll('-', '');
  return Uint8Array.from({ length: UUID_BYTES }, (_, i) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}
