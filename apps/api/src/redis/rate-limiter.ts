import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisClient } from './redis.module.js';

/**
 * A fixed-window limiter shared by every api process through Redis when it is configured, in
 * memory otherwise. If Redis is briefly unreachable, each process keeps limiting on its own (the
 * in-memory insurance limiter) instead of failing the request.
 */
export function createRateLimiter(
  redis: RedisClient,
  options: { keyPrefix: string; points: number; durationSeconds: number },
): RateLimiterAbstract {
  const opts = { keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds };
  if (!redis) return new RateLimiterMemory(opts);
  return new RateLimiterRedis({ ...opts, storeClient: redis, insuranceLimiter: new RateLimiterMemory(opts) });
}
