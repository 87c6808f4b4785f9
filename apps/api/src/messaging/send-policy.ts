import type { DevicesService } from '../devices/devices.service.js';
import type { KeysService } from '../keys/keys.service.js';
import type { PairingService } from '../pairing/pairing.service.js';

export interface ActiveDevice {
  id: string;
  registrationId: number | null;
  /** False until the device has published keys: it cannot be sent to, so sends need not include it. */
  hasKeys: boolean;
}

/** Entries kept at most; past it the cache starts over (bounded memory under any key spread). */
const MAX_ENTRIES = 100_000;

/**
 * An entry used in the last fifth of its life is reloaded in the background while it keeps
 * answering: a busy conversation never waits on a miss, and entries made together (a burst of
 * connects) do not all expire, and miss, in the same instant.
 */
const REFRESH_AHEAD = 0.2;
/**
 * Pair checks live this many times longer than device lists: every change to them (pair, unpair,
 * block, unblock) is pushed to the caches, so the ttl only bounds a lost invalidation.
 */
const PAIR_TTL_FACTOR = 6;
/**
 * Whatever the device-list ttl, a pair check is asked again at least this often: invalidation is
 * best effort (Redis pub/sub), and a block must not wait long on a lost one.
 */
export const MAX_PAIR_TTL_MS = 60_000;

interface Entry<T> {
  value: Promise<T>;
  expiresAt: number;
  refreshing?: boolean;
}

/**
 * The two questions every send asks (may these users talk? which devices does this user have?),
 * answered from a short-lived cache so a busy conversation does not cost four queries per message.
 * Concurrent misses for one key share one query. Pairing changes (pair, unpair, block, unblock) and
 * revocations drop their entries at once, on every node (see PolicyInvalidation); only a new device
 * or a device's first key upload is seen within `ttlMs`. With `ttlMs` 0 every call asks the owning service.
 * Pair checks are kept {@link PAIR_TTL_FACTOR} times longer, at most {@link MAX_PAIR_TTL_MS}.
 */
export class SendPolicy {
  private readonly pairs = new Map<string, Entry<boolean>>();
  private readonly devices = new Map<string, Entry<ActiveDevice[]>>();

  constructor(
    private readonly pairing: PairingService,
    private readonly devicesService: DevicesService,
    private readonly keys: Pick<KeysService, 'devicesWithKeys'>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  canCommunicate(userId: string, otherUserId: string): Promise<boolean> {
    return this.cached(
      this.pairs,
      pairKey(userId, otherUserId),
      () => this.pairing.canCommunicate(userId, otherUserId),
      Math.min(this.ttlMs * PAIR_TTL_FACTOR, MAX_PAIR_TTL_MS),
    );
  }

  activeDevices(userId: string): Promise<ActiveDevice[]> {
    return this.cached(this.devices, userId, async () => {
      const devices = await this.devicesService.list(userId, '');
      const keyed = await this.keys.devicesWithKeys(devices.map((d) => d.id));
      return devices.map((d) => ({ id: d.id, registrationId: d.registrationId, hasKeys: keyed.has(d.id) }));
    });
  }

  /** Drops what is known about a user's devices (called when one is revoked). */
  forgetDevices(userId: string): void {
    this.devices.delete(userId);
  }

  /** Drops everything (an invalidation may have been lost: Redis reconnected, a publish failed). */
  clear(): void {
    this.pairs.clear();
    this.devices.clear();
  }

  /** Drops the pair check of two users (called when they pair, unpair, block or unblock). */
  forgetPair(userId: string, otherUserId: string): void {
    this.pairs.delete(pairKey(userId, otherUserId));
  }

  private cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>, ttlMs = this.ttlMs): Promise<T> {
    if (ttlMs === 0) return load();
    const now = this.now();
    const hit = map.get(key);
    if (hit && hit.expiresAt > now) {
      if (!hit.refreshing && hit.expiresAt - now < ttlMs * REFRESH_AHEAD) this.refresh(map, key, hit, load, ttlMs);
      return hit.value;
    }
    if (map.size >= MAX_ENTRIES) map.clear();
    const value = load();
    map.set(key, { value, expiresAt: now + ttlMs });
    // A failed lookup is not remembered.
    value.catch(() => map.get(key)?.value === value && map.delete(key));
    return value;
  }

  private refresh<T>(
    map: Map<string, Entry<T>>,
    key: string,
    hit: Entry<T>,
    load: () => Promise<T>,
    ttlMs: number,
  ): void {
    hit.refreshing = true;
    const value = load();
    value.then(
      // Only if nothing dropped or replaced the entry meanwhile (an invalidation wins).
      () => map.get(key) === hit && map.set(key, { value, expiresAt: this.now() + ttlMs }),
      () => (hit.refreshing = false),
    );
  }
}

const pairKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);
