import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisClient } from '../redis/redis.module.js';

/** What a node tells the others to drop from their send-policy caches. */
export type PolicyChange = { kind: 'pair'; userIds: [string, string] } | { kind: 'devices'; userId: string };

function parseChange(raw: string): PolicyChange | null {
  try {
    const change = JSON.parse(raw) as Partial<PolicyChange>;
    if (change.kind === 'devices' && typeof change.userId === 'string') return change as PolicyChange;
    if (
      change.kind === 'pair' &&
      Array.isArray(change.userIds) &&
      change.userIds.length === 2 &&
      change.userIds.every((id) => typeof id === 'string')
    )
      return change as PolicyChange;
  } catch {
    // not ours: ignored below
  }
  return null;
}

/**
 * Spreads send-policy invalidations: applied here at once, and, with Redis, published on one
 * channel that every node subscribes to (its own message comes back too; dropping twice is harmless).
 * Without Redis there is only this node.
 */
export class PolicyInvalidation {
  private sub: Redis | undefined;
  private readonly logger = new Logger('PolicyInvalidation');

  /**
   * @param resync - drops every cached entry: called when invalidations may have been missed (the
   *   subscriber reconnected) or may not reach the other nodes (a publish failed)
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly channel: string,
    private readonly apply: (change: PolicyChange) => void,
    private readonly resync: () => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    if (!this.redis) return;
    this.sub = this.redis.duplicate();
    this.sub.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      const change = parseChange(raw);
      if (change) this.apply(change);
    });
    await this.sub.subscribe(this.channel);
    // Every later `ready` is a reconnect (ioredis subscribes again by itself): what was published
    // while this node was away is lost, so start over.
    this.sub.on('ready', () => this.resync());
  }

  async stop(): Promise<void> {
    await this.sub?.quit().catch(() => this.sub?.disconnect());
  }

  /** Drops the entries here, then on every other node. */
  publish(change: PolicyChange): void {
    this.apply(change);
    // Best effort across nodes: if Redis is down, the other nodes see the change within the cache
    // ttl (their subscribers reconnect and resync too). Here everything starts over.
    this.redis?.publish(this.channel, JSON.stringify(change)).catch((error: Error) => {
      this.logger.warn(`send-policy invalidation not published (${error.name}); caches cleared here`);
      this.resync();
    });
  }
}
