import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { createRateLimiter } from '../redis/rate-limiter.js';
import { REDIS, type RedisClient } from '../redis/redis.module.js';
import { messagingError, MessagingErrorCode } from './messaging.errors.js';

/**
 * Sends (`message:send`, `typing:send`) per device within a window. In Redis when REDIS_URL is set,
 * so a device that reconnects to another node keeps its count; in memory otherwise. Every send asks,
 * so it has its own auto-pipelined connection: the checks of one event-loop turn go out in one write.
 */
@Injectable()
export class SendRateLimiter implements OnApplicationShutdown {
  private readonly limiter: RateLimiterAbstract;
  private readonly redis: RedisClient;

  constructor(config: AppConfig, @Inject(REDIS) shared: RedisClient) {
    const { points, windowSeconds } = config.messaging.rateLimit;
    this.redis = shared ? shared.duplicate({ enableAutoPipelining: true }) : null;
    this.limiter = createRateLimiter(this.redis, {
      keyPrefix: `${config.redisKeyPrefix}send`,
      points,
      durationSeconds: windowSeconds,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }

  /** @throws RATE_LIMITED with `details.retryAfterMs` */
  async consume(deviceId: string): Promise<void> {
    try {
      await this.limiter.consume(deviceId);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfterMs = Math.max(1, error.msBeforeNext);
      throw messagingError(MessagingErrorCode.RateLimited, 'this device sends too fast; retry later', { retryAfterMs });
    }
  }
}
