import { describe, expect, it } from '@jest/globals';
import { AppConfig } from '../config/app-config.js';
import { LoginRateLimiter } from './login-rate-limiter.js';

function limiter(perIp: number, perHandle: number): LoginRateLimiter {
  const config = AppConfig.fromEnv({
    JWT_SECRET: 'x'.repeat(32),
    LOGIN_LIMIT_PER_IP: String(perIp),
    LOGIN_LIMIT_PER_HANDLE: String(perHandle),
    LOGIN_LIMIT_WINDOW_SECONDS: '120',
  });
  return new LoginRateLimiter(config, null);
}

describe(LoginRateLimiter.name, () => {
  it('answers RATE_LIMITED with a retry delay once a handle has used its attempts', async () => {
    const sut = limiter(100, 2);
    await sut.consume('1.1.1.1', 'alice');
    await sut.consume('2.2.2.2', 'ALICE');
    const error = await sut.consume('3.3.3.3', 'Alice').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    const retry = (error as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds;
    expect(retry).toBeGreaterThan(100);
    expect(retry).toBeLessThanOrEqual(120);
    await sut.consume('3.3.3.3', 'bob');
  });

  it('limits an IP across handles', async () => {
    const sut = limiter(2, 100);
    await sut.consume('1.1.1.1', 'a_one');
    await sut.consume('1.1.1.1', 'a_two');
    await expect(sut.consume('1.1.1.1', 'a_three')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await sut.consume('9.9.9.9', 'a_three');
  });

  it('counts attempts without a handle against the IP only', async () => {
    const sut = limiter(1, 1);
    await sut.consume('1.1.1.1', undefined);
    await expect(sut.consume('1.1.1.1', undefined)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('gives back the points of a successful attempt', async () => {
    const sut = limiter(2, 2);
    for (let i = 0; i < 5; i++) {
      await sut.consume('1.1.1.1', 'alice');
      await sut.reward('1.1.1.1', 'alice');
    }
    await sut.consume('1.1.1.1', 'alice');
  });
});
