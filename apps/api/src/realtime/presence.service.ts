import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Presence } from '@pairchat/messaging';
import { AppConfig } from '../config/app-config.js';
import { REDIS, type RedisClient } from '../redis/redis.module.js';

/** A node refreshes its sockets' presence this often... */
const HEARTBEAT_MS = 30_000;
/** ...and a socket counts as online this long after its last refresh, so a crashed node's users go offline. */
const PRESENCE_TTL_MS = 90_000;
/** Last-seen times are kept this long after the user was last online. */
const LAST_SEEN_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Online / last seen per user. Never in the database: in Redis when REDIS_URL is set (one sorted
 * set of live socket ids per user, scored by expiry), in memory otherwise. Who may see whose
 * presence is the gateway's concern (pairs only).
 */
@Injectable()
export class PresenceService implements OnApplicationShutdown {
  private readonly local = new Map<string, Set<string>>();
  private readonly lastSeen = new Map<string, number>();
  private readonly heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
  ) {
    if (redis) {
      this.heartbeat = setInterval(() => void this.refresh().catch(() => undefined), HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
  }

  /** Records a socket; returns true when the user was offline before. */
  async connected(userId: string, socketId: string, now = Date.now()): Promise<boolean> {
    const sockets = this.local.get(userId) ?? new Set<string>();
    sockets.add(socketId);
    this.local.set(userId, sockets);
    if (!this.redis) return sockets.size === 1;
    const key = this.socketsKey(userId);
    const [, [, before]] = (await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', now)
      .zcard(key)
      .zadd(key, now + PRESENCE_TTL_MS, socketId)
      .pexpire(key, PRESENCE_TTL_MS)
      .exec()) as [unknown, [unknown, number]];
    return before === 0;
  }

  /** Forgets a socket; returns true when the user has no socket left anywhere. */
  async disconnected(userId: string, socketId: string, now = Date.now()): Promise<boolean> {
    const sockets = this.local.get(userId);
    sockets?.delete(socketId);
    if (sockets?.size === 0) this.local.delete(userId);
    if (!this.redis) {
      this.lastSeen.set(userId, now);
      return !this.local.has(userId);
    }
    const key = this.socketsKey(userId);
    const results = (await this.redis
      .multi()
      .zrem(key, socketId)
      .zcount(key, now, '+inf')
      .set(this.lastSeenKey(userId), String(now), 'EX', LAST_SEEN_TTL_SECONDS)
      .exec()) as [unknown, number][];
    return results[1]![1] === 0;
  }

  async get(userIds: string[], now = Date.now()): Promise<Presence[]> {
    if (!this.redis) {
      return userIds.map((userId) => ({
        userId,
        online: this.local.has(userId),
        lastSeenAt: this.local.has(userId) ? new Date(now).toISOString() : iso(this.lastSeen.get(userId)),
      }));
    }
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.zcount(this.socketsKey(userId), now, '+inf').get(this.lastSeenKey(userId));
    const results = (await pipeline.exec()) as [unknown, unknown][];
    return userIds.map((userId, i) => {
      const online = Number(results[2 * i]![1]) > 0;
      const seen = results[2 * i + 1]![1];
      return {
        userId,
        online,
        lastSeenAt: online ? new Date(now).toISOString() : iso(seen === null ? undefined : Number(seen)),
      };
    });
  }

  private async refresh(now = Date.now()): Promise<void> {
    if (!this.redis || this.local.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [userId, sockets] of this.local) {
      const key = this.socketsKey(userId);
      for (const socketId of sockets) pipeline.zadd(key, now + PRESENCE_TTL_MS, socketId);
      pipeline.pexpire(key, PRESENCE_TTL_MS);
    }
    await pipeline.exec();
  }

  private socketsKey(userId: string): string {
    return `${this.config.redisKeyPrefix}presence:${userId}`;
  }

  private lastSeenKey(userId: string): string {
    return `${this.config.redisKeyPrefix}lastseen:${userId}`;
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
