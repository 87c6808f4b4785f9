import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { REDIS, type RedisClient } from '../redis/redis.module.js';

/**
 * Token buckets for prekey bundle fetches, one per (requesting account, target device): a full
 * bucket allows a burst, then one fetch per refill interval (Signal: 6, one per 10 minutes).
 * Draining someone's one-time prekeys is an attack; this bounds it. State lives in Redis when
 * configured (one Lua script, so a check-and-take is atomic across api processes), else in memory.
 */
@Injectable()
export class KeyFetchRateLimiter {
  private readonly memory = new Map<string, { tokens: number; at: number }>();
  private readonly size: number;
  private readonly refillMs: number;
  private readonly prefix: string;

  constructor(
    config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.size = config.keys.fetchBucketSize;
    this.refillMs = config.keys.fetchRefillMs;
    this.prefix = `${config.redisKeyPrefix}keyfetch:`;
  }

  /**
   * Takes one token from each bucket, all or none.
   * @returns 0 when taken, else milliseconds until every bucket has a token again
   */
  async take(buckets: string[], now = Date.now()): Promise<number> {
    if (buckets.length === 0) return 0;
    if (this.redis) {
      const keys = buckets.map((b) => this.prefix + b);
      const wait = await this.redis.eval(TAKE_SCRIPT, keys.length, ...keys, this.size, this.refillMs, now);
      return Number(wait);
    }
    const states = buckets.map((b) => this.refilled(this.memory.get(b), now));
    const wait = Math.max(...states.map((s) => (s.tokens >= 1 ? 0 : Math.ceil((1 - s.tokens) * this.refillMs))));
    if (wait > 0) return wait;
    buckets.forEach((b, i) => this.memory.set(b, { tokens: states[i]!.tokens - 1, at: now }));
    if (this.memory.size > 100_000) this.forgetFull(now);
    return 0;
  }

  private refilled(state: { tokens: number; at: number } | undefined, now: number) {
    if (!state) return { tokens: this.size, at: now };
    return { tokens: Math.min(this.size, state.tokens + (now - state.at) / this.refillMs), at: now };
  }

  /** Full buckets carry no information: drop them so memory stays bounded. */
  private forgetFull(now: number): void {
    for (const [key, state] of this.memory) if (this.refilled(state, now).tokens >= this.size) this.memory.delete(key);
  }
}

// KEYS: bucket keys. ARGV: size, refill ms, now ms. Returns 0 (taken from all) or ms to wait.
const TAKE_SCRIPT = `
local size, refill, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, wait = {}, 0
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 't', 'at')
  local t = tonumber(state[1]) or size
  local at = tonumber(state[2]) or now
  t = math.min(size, t + (now - at) / refill)
  tokens[i] = t
  if t < 1 then wait = math.max(wait, math.ceil((1 - t) * refill)) end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 't', tostring(tokens[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(size * refill))
end
return 0
`;
