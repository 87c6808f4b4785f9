import { Inject, Injectable } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { createRateLimiter } from '../redis/rate-limiter.js';
import { REDIS, type RedisClient } from '../redis/redis.module.js';
import { devicesError, DevicesErrorCode } from './devices.errors.js';

/** Links one device may create per window: enough to retry a few times, too few to spam the table. */
export const DEVICE_LINK_CREATE_LIMIT = 10;
export const DEVICE_LINK_CREATE_WINDOW_SECONDS = 600;

/** `POST /devices/links` per device, in Redis when configured (shared by every api process). */
@Injectable()
export class DeviceLinkRateLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(config: AppConfig, @Inject(REDIS) redis: RedisClient) {
    this.limiter = createRateLimiter(redis, {
      keyPrefix: `${config.redisKeyPrefix}device-link`,
      points: DEVICE_LINK_CREATE_LIMIT,
      durationSeconds: DEVICE_LINK_CREATE_WINDOW_SECONDS,
    });
  }

  /** @throws LINK_RATE_LIMITED with `details.retryAfterSeconds` */
  async consume(deviceId: string): Promise<void> {
    try {
      await this.limiter.consume(deviceId);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw devicesError(DevicesErrorCode.LinkRateLimited, 'too many device links from this device; try again later', {
        retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
      });
    }
  }
}
