import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { REDIS_URL, serviceAvailable } from './utils/services.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { PASSWORD, uniqueHandle } from './utils/users.js';

const attempt = (app: TestApp, handle: string, password = 'wrong password!') =>
  request(app.http).post('/auth/login').send({ handle, password });

describeE2E('registration rate limit', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({ REGISTER_LIMIT_PER_IP: '3', REGISTER_LIMIT_WINDOW_SECONDS: '600' });
  });
  afterAll(() => sut.close());

  it('limits new accounts per IP, counting refused ones too, with 429 and Retry-After', async () => {
    const register = (handle: string) => request(sut.http).post('/auth/register').send({ handle, password: PASSWORD });
    const taken = uniqueHandle('taken');
    await register(taken).expect(201);
    await register(taken).expect(409);
    await register(uniqueHandle('ok')).expect(201);
    const limited = await register(uniqueHandle('late')).expect(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(500);
  });
});

describeE2E('login rate limit (in memory)', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({
      LOGIN_LIMIT_PER_HANDLE: '3',
      LOGIN_LIMIT_PER_IP: '8',
      LOGIN_LIMIT_WINDOW_SECONDS: '60',
    });
  });
  afterAll(() => sut.close());

  it('limits failed attempts per handle (any case) with 429 and Retry-After, even with the right password', async () => {
    const handle = uniqueHandle('target');
    await request(sut.http).post('/auth/register').send({ handle, password: PASSWORD }).expect(201);
    for (const h of [handle, handle.toUpperCase(), handle]) expect((await attempt(sut, h)).status).toBe(401);
    const limited = await attempt(sut, handle, PASSWORD).expect(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('does not count successful logins', async () => {
    const handle = uniqueHandle('good');
    await request(sut.http).post('/auth/register').send({ handle, password: PASSWORD }).expect(201);
    for (let i = 0; i < 4; i++) await attempt(sut, handle, PASSWORD).expect(200);
  });

  it('limits attempts per IP across handles', async () => {
    // 3 failures above + this loop exceed the per-IP limit of 8 for the test client's address.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt(sut, uniqueHandle('spray'))).status);
    expect(statuses).toContain(429);
    expect(statuses.slice(0, statuses.indexOf(429)).every((s) => s === 401)).toBe(true);
  });
});

const redisUp = await serviceAvailable('Redis', REDIS_URL);

(redisUp ? describe : describe.skip)('login rate limit (Redis, shared by two api instances)', () => {
  describeE2E('two instances', () => {
    let first: TestApp;
    let second: TestApp;
    beforeAll(async () => {
      const env = {
        REDIS_URL,
        REDIS_KEY_PREFIX: `pairchat-test-${randomBytes(6).toString('hex')}:`,
        LOGIN_LIMIT_PER_HANDLE: '4',
        LOGIN_LIMIT_PER_IP: '1000',
        LOGIN_LIMIT_WINDOW_SECONDS: '60',
      };
      first = await createTestApp(env);
      second = await createTestApp(env);
    });
    afterAll(async () => {
      await first?.close();
      await second?.close();
    });

    it('counts attempts made on either instance against one limit', async () => {
      const handle = uniqueHandle('shared');
      const statuses: number[] = [];
      for (const app of [first, second, first, second, first, second])
        statuses.push((await attempt(app, handle)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
      const other = await attempt(second, uniqueHandle('other'));
      expect(other.status).toBe(401);
    });
  });
});
