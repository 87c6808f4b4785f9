/**
 * Protocol addresses (`name.deviceId`) and the ServiceId fixed-width encoding used in the
 * `addresses` field of SignalMessages (wire notes §5.1, libsignal `rust/core/src/address.rs`).
 * @module
 */
import { ProtocolError } from './errors.js';
import { MAX_DEVICE_ID, MESSAGE_ADDRESSES_LENGTH, MIN_DEVICE_ID } from './constants.js';

/**
 * A remote or local party: an account name (usually a ServiceId string) plus a device id.
 * Mirrors libsignal-client's `ProtocolAddress`.
 */
export class ProtocolAddress {
  /** Account identifier, usually a ServiceId string (`<uuid>` or `PNI:<uuid>`). */
  readonly name: string;
  /** Device number, 1..127. */
  readonly deviceId: number;

  /**
   * @param name - non-empty account identifier
   * @param deviceId - integer in 1..127 (libsignal's range)
   * @throws TypeError on wrong types; ProtocolError `InvalidProtocolAddress` on an empty name or
   *   an out-of-range device id
   */
  constructor(name: string, deviceId: number) {
    if (typeof name !== 'string') throw new TypeError('name: expected string');
    if (typeof deviceId !== 'number' || !Number.isInteger(deviceId)) throw new TypeError('deviceId: expected integer');
    if (name.length === 0 || deviceId < MIN_DEVICE_ID || deviceId > MAX_DEVICE_ID)
      throw new ProtocolError('InvalidProtocolAddress', 'invalid protocol address');
    this.name = name;
    this.deviceId = deviceId;
  }

  /** Same as the constructor; mirrors libsignal-client's `ProtocolAddress.new`. */
  static new(name: string, deviceId: number): ProtocolAddress {
    return new ProtocolAddress(name, deviceId);
  }

  /** `name.deviceId`, the key used by stores. */
  toString(): string {
    return `${this.name}.${this.deviceId}`;
  }

  /** True if both name and device id are equal. */
  equals(other: ProtocolAddress): boolean {
    return this.name === other.name && this.deviceId === other.deviceId;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The 17-byte fixed-width ServiceId: kind byte (ACI 0x00, PNI 0x01) then the 16-byte UUID.
 * @param name - a ProtocolAddress name
 * @returns the encoding, or `null` if `name` is not a ServiceId string (lower-case hyphenated
 *   UUID, or `PNI:` + that); libsignal then omits the `addresses` field
 */
export function serviceIdFixedWidth(name: string): Uint8Array | null {
  let kind = 0x00;
  let uuid = name;
  if (name.startsWith('PNI:')) {
    kind = 0x01;
    uuid = name.slice(4);
  }
  if (!UUID_RE.test(uuid)) return null;
  const out = new Uint8Array(17);
  out[0] = kind;
  const hex = uuid.replace(/-/g, '');
  for (let i = 0; i < 16; i++) out[1 + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The `addresses` field of a SignalMessage: `serviceIdFixed(sender) || senderDevice (1 B) ||
 * serviceIdFixed(recipient) || recipientDevice (1 B)` (36 bytes).
 * @returns the encoding, or `null` if either name is not a ServiceId string
 */
export function encodeMessageAddresses(sender: ProtocolAddress, recipient: ProtocolAddress): Uint8Array | null {
  const s = serviceIdFixedWidth(sender.name);
  const r = serviceIdFixedWidth(recipient.name);
  if (!s || !r) return null;
  const out = new Uint8Array(MESSAGE_ADDRESSES_LENGTH);
  out.set(s, 0);
  out[17] = sender.deviceId;
  out.set(r, 18);
  out[35] = recipient.deviceId;
  return out;
}
