/**
 * The chat's cache of contacts' (and our own) device lists, kept in the encrypted history so a
 * reload knows which devices a session exists for, and the lookup of an envelope's sender device.
 * @module
 */
import { type CiphertextMessage, toBase64 } from '@pairchat/crypto';
import type { PreKeyBundleResponse } from '@pairchat/keys';
import type { OutgoingEnvelope } from '@pairchat/messaging';
import type { HistoryStore } from './history-store.js';

/** One device of an account as protocol addresses need it. */
export interface DeviceAddress {
  /** The api's device id (envelopes are addressed to it). */
  deviceId: string;
  /** Its number in protocol addresses (1..127). */
  protocolDeviceId: number;
  registrationId: number;
}

/** The key-directory calls the pipeline uses. */
export interface ChatDirectory {
  /**
   * `GET /keys/:userId`: claims one bundle per device (consumes one-time prekeys); with `deviceIds`,
   * only for those devices (the ones gone are left out of the answer).
   */
  claimPreKeyBundles(userId: string, deviceIds?: string[]): Promise<PreKeyBundleResponse>;
  /** `GET /keys/:userId/devices`: the devices with keys, consuming nothing. */
  listDeviceAddresses(userId: string): Promise<DeviceAddress[]>;
}

const DEVICES = 'devices:';

/** The HTTP status an error carries (directory calls), if any. */
export const statusOf = (error: unknown): number | undefined => (error as { status?: number } | null)?.status;

/** One device's ciphertext as `message:send` / `typing:send` carry it. */
export function toOutgoingEnvelope(device: DeviceAddress, message: CiphertextMessage): OutgoingEnvelope {
  return {
    deviceId: device.deviceId,
    registrationId: device.registrationId,
    type: message.type as OutgoingEnvelope['type'],
    ciphertext: toBase64(message.body),
  };
}

/** Device lists per account, in memory and in the history store's state. */
export class DeviceCache {
  private readonly lists = new Map<string, DeviceAddress[]>();

  constructor(
    private readonly history: HistoryStore,
    private readonly directory: ChatDirectory,
    /** This device's api id: never listed as a peer. */
    private readonly selfDeviceId: string,
  ) {}

  /** Loads what a previous run stored. */
  async load(): Promise<void> {
    for (const userId of await this.history.stateKeys(DEVICES)) {
      const list = await this.history.getState<DeviceAddress[]>(`${DEVICES}${userId}`);
      if (list) this.lists.set(userId, list);
    }
  }

  get(userId: string): DeviceAddress[] | undefined {
    return this.lists.get(userId);
  }

  entries(): IterableIterator<[string, DeviceAddress[]]> {
    return this.lists.entries();
  }

  async set(userId: string, list: DeviceAddress[]): Promise<void> {
    this.lists.set(userId, list);
    await this.history.setState(`${DEVICES}${userId}`, list);
  }

  /** Forgets `userId`'s list: the next encryption claims fresh bundles. */
  async forget(userId: string): Promise<void> {
    this.lists.delete(userId);
    await this.history.deleteState(`${DEVICES}${userId}`);
  }

  /**
   * The sender's device by api id: from the cache, else from `GET /keys/:userId/devices`.
   * @returns null when the device is not listed, or the user is gone (404)
   * @throws when the directory is unreachable (the envelope stays queued and comes back)
   */
  async lookup(userId: string, deviceId: string): Promise<DeviceAddress | null> {
    const cached = this.lists.get(userId)?.find((d) => d.deviceId === deviceId);
    if (cached) return cached;
    let listed: DeviceAddress[];
    try {
      listed = (await this.directory.listDeviceAddresses(userId)).filter((d) => d.deviceId !== this.selfDeviceId);
    } catch (error) {
      // Unpaired or blocked since: the envelope is kept as an undecryptable row, not redelivered forever.
      if (statusOf(error) === 404) return null;
      throw error;
    }
    const found = listed.find((d) => d.deviceId === deviceId) ?? null;
    // Only new devices are added. A cached entry keeps the registration id its session was built
    // against: envelopes carry that one, so the server can name the device stale after a reinstall.
    const known = this.lists.get(userId) ?? [];
    await this.set(userId, [...known, ...listed.filter((l) => !known.some((c) => c.deviceId === l.deviceId))]);
    return found;
  }
}
