import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { normalizeHandle } from '@pairchat/messaging';
import type { Request, Response } from 'express';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { createRateLimiter } from '../redis/rate-limiter.js';
import { REDIS, type RedisClient } from '../redis/redis.module.js';
import { authError, AuthErrorCode } from './auth.errors.js';

/** Longest handle key we store; longer input cannot be a handle and is cut to bound key size. */
const MAX_HANDLE_KEY_LENGTH = 64;

/**
 * Login attempts per client IP and per handle within a window. Every attempt costs a point up front;
 * a successful login gives it back, so only failures accumulate. In Redis when REDIS_URL is set
 * (shared by every api process), in memory otherwise.
 */
@Injectable()
export class LoginRateLimiter {
  private readonly byIp: RateLimiterAbstract;
  private readonly byHandle: RateLimiterAbstract;
  private readonly registrations: RateLimiterAbstract;

  constructor(config: AppConfig, @Inject(REDIS) redis: RedisClient) {
    const duration = Math.max(1, Math.ceil(config.loginLimit.windowMs / 1000));
    const make = (name: string, points: number, durationSeconds = duration): RateLimiterAbstract =>
      createRateLimiter(redis, { keyPrefix: `${config.redisKeyPrefix}login:${name}`, points, durationSeconds });
    this.byIp = make('ip', config.loginLimit.perIp);
    this.byHandle = make('handle', config.loginLimit.perHandle);
    this.registrations = make(
      'register',
      config.registerLimit.perIp,
      Math.max(1, Math.ceil(config.registerLimit.windowMs / 1000)),
    );
  }

  /**
   * Counts one account creation from `ip` (every one costs an argon2 hash and a handle).
   * @throws RATE_LIMITED with `details.retryAfterSeconds`
   */
  async consumeRegistration(ip: string): Promise<void> {
    try {
      await this.registrations.consume(ip);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw authError(AuthErrorCode.RateLimited, 'too many new accounts from this address; try again later', {
        retryAfterSeconds,
      });
    }
  }

  /**
   * Counts one attempt.
   * @throws RATE_LIMITED with `details.retryAfterSeconds` when either limit is spent
   */
  async consume(ip: string, handle: string | undefined): Promise<void> {
    const handleKey = handle === undefined ? undefined : handleKeyOf(handle);
    const results = await Promise.allSettled([
      this.byIp.consume(ip),
      handleKey ? this.byHandle.consume(handleKey) : Promise.resolve(undefined),
    ]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    if (rejected.length === 0) return;
    const limited = rejected.filter((reason): reason is RateLimiterRes => reason instanceof RateLimiterRes);
    if (limited.length === 0) throw rejected[0];
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(...limited.map((r) => r.msBeforeNext)) / 1000));
    throw authError(AuthErrorCode.RateLimited, 'too many login attempts; try again later', { retryAfterSeconds });
  }

  /** Gives back the points of a successful attempt. */
  async reward(ip: string, handle: string): Promise<void> {
    await Promise.all([this.byIp.reward(ip, 1), this.byHandle.reward(handleKeyOf(handle), 1)]);
  }
}

function handleKeyOf(handle: string): string {
  return normalizeHandle(handle).slice(0, MAX_HANDLE_KEY_LENGTH);
}

/** Applies {@link LoginRateLimiter} before credentials are checked; sets Retry-After on 429. */
@Injectable()
export class LoginRateLimitGuard implements CanActivate {
  constructor(private readonly limiter: LoginRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const body: unknown = request.body;
    const handle = typeof body === 'object' && body !== null ? (body as { handle?: unknown }).handle : undefined;
    try {
      await this.limiter.consume(request.ip ?? 'unknown', typeof handle === 'string' ? handle : undefined);
    } catch (error) {
      const retryAfter = (error as { details?: { retryAfterSeconds?: number } }).details?.retryAfterSeconds;
      if (retryAfter) http.getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      throw error;
    }
    return true;
  }
}

/** Applies the registration limit per client IP; sets Retry-After on 429. */
@Injectable()
export class RegisterRateLimitGuard implements CanActivate {
  constructor(private readonly limiter: LoginRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    try {
      await this.limiter.consumeRegistration(http.getRequest<Request>().ip ?? 'unknown');
    } catch (error) {
      const retryAfter = (error as { details?: { retryAfterSeconds?: number } }).details?.retryAfterSeconds;
      if (retryAfter) http.getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      throw error;
    }
    return true;
  }
}
