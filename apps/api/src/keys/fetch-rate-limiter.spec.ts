import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { REDIS_URL, serviceAvailable } from '../../test/utils/services.js';
import { AppConfig } from '../config/app-config.js';
import { KeyFetchRateLimiter } from './fetch-rate-limiter.js';

const MINUTE = 60_000;

const config = (prefix = '') =>
  AppConfig.fromEnv({
    JWT_SECRET: 'x'.repeat(32),
    SQLITE_PATH: ':memory:',
    KEY_FETCH_BUCKET_SIZE: '6',
    KEY_FETCH_REFILL_SECONDS: '600',
    ...(prefix ? { REDIS_KEY_PREFIX: prefix } : {}),
  });

const redisUp = await serviceAvailable('Redis', REDIS_URL);
const redis = redisUp ? new Redis(REDIS_URL) : null;
afterAll(async () => {
  await redis?.quit();
});

const backends: [string, () => KeyFetchRateLimiter][] = [
  ['memory', () => new KeyFetchRateLimiter(config(), null)],
  ...(redis
    ? ([['redis', () => new KeyFetchRateLimiter(config(`test${randomBytes(4).toString('hex')}:`), redis)]] as [
        string,
        () => KeyFetchRateLimiter,
      ][])
    : []),
];

describe(KeyFetchRateLimiter.name, () => {
  for (const [name, make] of backends) {
    describe(name, () => {
      it('allows a burst of the bucket size, then one per refill interval', async () => {
        const sut = make();
        const t0 = Date.UTC(2026, 0, 1);
        for (let i = 0; i < 6; i++) expect(await sut.take(['a:b'], t0)).toBe(0);
        expect(await sut.take(['a:b'], t0)).toBe(10 * MINUTE);
        expect(await sut.take(['a:b'], t0 + 4 * MINUTE)).toBe(6 * MINUTE);
        expect(await sut.take(['a:b'], t0 + 10 * MINUTE)).toBe(0);
        expect(await sut.take(['a:b'], t0 + 10 * MINUTE)).toBeGreaterThan(0);
      });

      it('keeps buckets apart and takes from several all or nothing', async () => {
        const sut = make();
        const t0 = Date.UTC(2026, 0, 1);
        for (let i = 0; i < 6; i++) await sut.take(['a:b'], t0);
        expect(await sut.take(['a:c'], t0)).toBe(0);
        expect(await sut.take(['a:c', 'a:b'], t0)).toBeGreaterThan(0);
        // The refused multi-take left a:c untouched: 5 more still fit.
        for (let i = 0; i < 5; i++) expect(await sut.take(['a:c'], t0)).toBe(0);
        expect(await sut.take(['a:c'], t0)).toBeGreaterThan(0);
      });
    });
  }

  (redis ? it : it.skip)('shares one bucket between two api processes through Redis', async () => {
    const prefix = `test${randomBytes(4).toString('hex')}:`;
    const [one, two] = [
      new KeyFetchRateLimiter(config(prefix), redis!),
      new KeyFetchRateLimiter(config(prefix), redis!),
    ];
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 3; i++) expect(await one.take(['x:y'], t0)).toBe(0);
    for (let i = 0; i < 3; i++) expect(await two.take(['x:y'], t0)).toBe(0);
    expect(await one.take(['x:y'], t0)).toBeGreaterThan(0);
  });
});
