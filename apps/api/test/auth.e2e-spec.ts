import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { handshakeError } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, loginAs, PASSWORD, uniqueHandle } from './utils/users.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describeE2E('auth', () => {
  let sut: TestApp;
  let url: string;
  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '1000', LOGIN_LIMIT_PER_HANDLE: '1000' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(() => sut.close());

  describe('POST /auth/register', () => {
    it('creates an account with a lowercased handle', async () => {
      const handle = uniqueHandle('Alice');
      const res = await request(sut.http).post('/auth/register').send({ handle, password: PASSWORD }).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        handle: handle.toLowerCase(),
        createdAt: expect.stringMatching(ISO),
      });
    });

    it('answers 409 HANDLE_TAKEN for a taken handle in any case', async () => {
      const handle = uniqueHandle('bob');
      await request(sut.http).post('/auth/register').send({ handle, password: PASSWORD }).expect(201);
      const res = await request(sut.http)
        .post('/auth/register')
        .send({ handle: handle.toUpperCase(), password: PASSWORD })
        .expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, code: 'HANDLE_TAKEN', correlationId: expect.any(String) });
    });

    it('lets exactly one of ten concurrent registrations of one handle win', async () => {
      const handle = uniqueHandle('race');
      const results = await Promise.all(
        Array.from({ length: 10 }, () => request(sut.http).post('/auth/register').send({ handle, password: PASSWORD })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, ...Array(9).fill(409)]);
      expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'HANDLE_TAKEN')).toBe(true);
    });

    it.each([
      ['too short', 'ab'],
      ['too long', `a${'b'.repeat(32)}`],
      ['starting with a digit', '1abc'],
      ['with a dash', 'ab-cd'],
      ['with a space', 'ab cd'],
      ['with a non-ASCII letter', 'jürgen'],
    ])('rejects a handle %s with VALIDATION_FAILED', async (_why, handle) => {
      const res = await request(sut.http).post('/auth/register').send({ handle, password: PASSWORD }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.fields).toEqual([expect.objectContaining({ field: 'handle' })]);
    });

    it.each([
      ['TOO_SHORT', 'short pw'],
      ['TOO_LONG', 'x'.repeat(64) + 'y'.repeat(65)],
      ['ONE_CHARACTER', 'aaaaaaaaaaaa'],
    ])('rejects a weak password (%s) with WEAK_PASSWORD', async (reason, password) => {
      const res = await request(sut.http)
        .post('/auth/register')
        .send({ handle: uniqueHandle('weak'), password })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'WEAK_PASSWORD', details: { reason } });
    });

    it('rejects the handle as password', async () => {
      const handle = uniqueHandle('samesame');
      const res = await request(sut.http)
        .post('/auth/register')
        .send({ handle, password: handle.toUpperCase() })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'WEAK_PASSWORD', details: { reason: 'SAME_AS_HANDLE' } });
    });

    it('counts password length in characters, not bytes', async () => {
      await request(sut.http)
        .post('/auth/register')
        .send({ handle: uniqueHandle('emoji'), password: '🔐🔑🗝🔒🔓🛡⚔🏰🧱' })
        .expect(400);
      await request(sut.http)
        .post('/auth/register')
        .send({ handle: uniqueHandle('emoji'), password: '🔐🔑🗝🔒🔓🛡⚔🏰🧱🪪' })
        .expect(201);
    });

    it.each([
      ['an unknown field', { handle: 'carol_x', password: PASSWORD, admin: true }, 'admin'],
      ['a missing password', { handle: 'carol_x' }, 'password'],
      ['a number handle', { handle: 12345, password: PASSWORD }, 'handle'],
      ['an array password', { handle: 'carol_x', password: [PASSWORD] }, 'password'],
    ])('rejects %s with VALIDATION_FAILED', async (_why, body, field) => {
      const res = await request(sut.http).post('/auth/register').send(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.fields.map((f: { field: string }) => f.field)).toContain(field);
    });

    it('rejects malformed JSON, a non-object body and an oversize body', async () => {
      const malformed = await request(sut.http)
        .post('/auth/register')
        .set('content-type', 'application/json')
        .send('{"handle":');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('MALFORMED_JSON');
      const array = await request(sut.http)
        .post('/auth/register')
        .set('content-type', 'application/json')
        .send('[1,2]');
      expect(array.status).toBe(400);
      const big = JSON.stringify({ handle: 'carol_x', password: 'x'.repeat(sut.config.bodyLimitBytes) });
      const huge = await request(sut.http).post('/auth/register').set('content-type', 'application/json').send(big);
      expect(huge.status).toBe(413);
      expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  it('rejects a form-encoded or plain-text body without a 500', async () => {
    const form = await request(sut.http)
      .post('/auth/register')
      .type('form')
      .send({ handle: 'formuser', password: PASSWORD });
    expect([400, 415]).toContain(form.status);
    const text = await request(sut.http).post('/auth/login').set('content-type', 'text/plain').send('handle=x');
    expect([400, 415]).toContain(text.status);
  });

  describe('POST /auth/login', () => {
    let handle: string;
    beforeAll(async () => {
      handle = uniqueHandle('dave');
      await request(sut.http).post('/auth/register').send({ handle, password: PASSWORD }).expect(201);
    });

    it('starts a session on a new device named "Web browser"', async () => {
      const res = await request(sut.http)
        .post('/auth/login')
        .send({ handle: handle.toUpperCase(), password: PASSWORD })
        .expect(200);
      expect(res.body).toEqual({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        accessTokenExpiresAt: expect.stringMatching(ISO),
        refreshToken: expect.stringMatching(/^[\w-]{43}$/),
        user: { id: expect.any(String), handle, createdAt: expect.stringMatching(ISO) },
        device: {
          id: expect.any(String),
          name: 'Web browser',
          registrationId: null,
          createdAt: expect.stringMatching(ISO),
          lastSeenAt: expect.stringMatching(ISO),
          current: true,
        },
      });
      const ttlMs = Date.parse(res.body.accessTokenExpiresAt) - Date.now();
      expect(ttlMs).toBeGreaterThan((sut.config.accessTokenTtlSeconds - 5) * 1000);
      expect(ttlMs).toBeLessThanOrEqual(sut.config.accessTokenTtlSeconds * 1000);
    });

    it('puts sub, did and jti in the access token', async () => {
      const user = await loginAs(sut, handle);
      const claims = sut.app.get(JwtService).verify(user.session.accessToken);
      expect(claims).toMatchObject({ sub: user.id, did: user.deviceId, jti: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    });

    it('names the device and stores its registration id', async () => {
      const user = await loginAs(sut, handle, { deviceName: 'Laptop', registrationId: 1234 });
      expect(user.session.device).toMatchObject({ name: 'Laptop', registrationId: 1234 });
    });

    it('reuses an existing device and revokes its earlier refresh tokens', async () => {
      const first = await loginAs(sut, handle);
      const again = await loginAs(sut, handle, { deviceId: first.deviceId });
      expect(again.deviceId).toBe(first.deviceId);
      const old = await request(sut.http)
        .post('/auth/refresh')
        .send({ refreshToken: first.session.refreshToken })
        .expect(401);
      expect(old.body.code).toBe('REFRESH_TOKEN_INVALID');
      await request(sut.http).post('/auth/refresh').send({ refreshToken: again.session.refreshToken }).expect(200);
    });

    it("answers 404 DEVICE_NOT_FOUND for an unknown device or another user's", async () => {
      const other = await createUser(sut, 'erin');
      for (const deviceId of [randomUUID(), other.deviceId]) {
        const res = await request(sut.http)
          .post('/auth/login')
          .send({ handle, password: PASSWORD, deviceId })
          .expect(404);
        expect(res.body.code).toBe('DEVICE_NOT_FOUND');
      }
    });

    it('answers the same 401 for a wrong password and an unknown handle', async () => {
      const wrong = await request(sut.http)
        .post('/auth/login')
        .send({ handle, password: 'not the password' })
        .expect(401);
      const unknown = await request(sut.http)
        .post('/auth/login')
        .send({ handle: uniqueHandle('nobody'), password: PASSWORD })
        .expect(401);
      const malformedHandle = await request(sut.http)
        .post('/auth/login')
        .send({ handle: '!!', password: PASSWORD })
        .expect(401);
      for (const res of [wrong, unknown, malformedHandle]) {
        expect(res.body).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'wrong handle or password' });
      }
    });

    it('answers 409 DEVICE_LIMIT_REACHED past the device limit', async () => {
      const user = await createUser(sut, 'many');
      for (let i = 1; i < sut.config.maxDevicesPerUser; i++) await loginAs(sut, user.handle);
      const res = await request(sut.http)
        .post('/auth/login')
        .send({ handle: user.handle, password: PASSWORD })
        .expect(409);
      expect(res.body).toMatchObject({
        code: 'DEVICE_LIMIT_REACHED',
        details: { limit: sut.config.maxDevicesPerUser },
      });
      await request(sut.http).delete(`/devices/${user.deviceId}`).set('Authorization', user.bearer).expect(204);
      await loginAs(sut, user.handle);
    });

    it.each([
      ['an unknown field', { password: PASSWORD, role: 'admin' }],
      ['a missing password', {}],
      ['a malformed deviceId', { password: PASSWORD, deviceId: 'nope' }],
      ['an out-of-range registrationId', { password: PASSWORD, registrationId: 16381 }],
      ['a fractional registrationId', { password: PASSWORD, registrationId: 1.5 }],
      ['an empty device name', { password: PASSWORD, deviceName: '' }],
      ['a too long device name', { password: PASSWORD, deviceName: 'x'.repeat(65) }],
    ])('rejects %s with VALIDATION_FAILED before checking the password', async (_why, body) => {
      const res = await request(sut.http)
        .post('/auth/login')
        .send({ handle, ...body })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('rejects a missing body and malformed JSON with 400', async () => {
      expect((await request(sut.http).post('/auth/login')).status).toBe(400);
      const res = await request(sut.http).post('/auth/login').set('content-type', 'application/json').send('{');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('MALFORMED_JSON');
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: a new pair of tokens for the same device, the old refresh token spent', async () => {
      const user = await createUser(sut, 'frank');
      const res = await request(sut.http)
        .post('/auth/refresh')
        .send({ refreshToken: user.session.refreshToken })
        .expect(200);
      expect(res.body.refreshToken).not.toBe(user.session.refreshToken);
      expect(res.body.accessToken).not.toBe(user.session.accessToken);
      expect(res.body.device).toMatchObject({ id: user.deviceId, current: true });
      expect(res.body.user).toMatchObject({ id: user.id, handle: user.handle });
      await request(sut.http).get('/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
    });

    it('treats reuse of a spent token as theft: the whole family is revoked', async () => {
      const user = await createUser(sut, 'grace');
      const first = user.session.refreshToken;
      const second = (await request(sut.http).post('/auth/refresh').send({ refreshToken: first }).expect(200)).body
        .refreshToken;
      const third = (await request(sut.http).post('/auth/refresh').send({ refreshToken: second }).expect(200)).body
        .refreshToken;
      const reuse = await request(sut.http).post('/auth/refresh').send({ refreshToken: first }).expect(401);
      expect(reuse.body.code).toBe('REFRESH_TOKEN_REUSED');
      const newest = await request(sut.http).post('/auth/refresh').send({ refreshToken: third }).expect(401);
      expect(newest.body.code).toBe('REFRESH_TOKEN_INVALID');
      await request(sut.http).get('/me').set('Authorization', user.bearer).expect(401);
    });

    it('lets only one of two concurrent uses of a token win', async () => {
      const user = await createUser(sut, 'heidi');
      const results = await Promise.all(
        [1, 2].map(() => request(sut.http).post('/auth/refresh').send({ refreshToken: user.session.refreshToken })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('answers 401 REFRESH_TOKEN_INVALID for an unknown token', async () => {
      const res = await request(sut.http)
        .post('/auth/refresh')
        .send({ refreshToken: 'A'.repeat(43) })
        .expect(401);
      expect(res.body.code).toBe('REFRESH_TOKEN_INVALID');
    });

    it.each([
      ['a missing token', {}],
      ['a number', { refreshToken: 42 }],
      ['an empty string', { refreshToken: '' }],
      ['an unknown field', { refreshToken: 'abc', extra: 1 }],
    ])('rejects %s with VALIDATION_FAILED', async (_why, body) => {
      const res = await request(sut.http).post('/auth/refresh').send(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('POST /auth/logout', () => {
    it("revokes the device's refresh tokens and keeps the device", async () => {
      const user = await createUser(sut, 'ivan');
      await request(sut.http).post('/auth/logout').set('Authorization', user.bearer).send({}).expect(204);
      const res = await request(sut.http)
        .post('/auth/refresh')
        .send({ refreshToken: user.session.refreshToken })
        .expect(401);
      expect(res.body.code).toBe('REFRESH_TOKEN_INVALID');
      const again = await loginAs(sut, user.handle, { deviceId: user.deviceId });
      expect(again.deviceId).toBe(user.deviceId);
    });

    it('ends the session at once: the old access token fails over HTTP and the socket handshake', async () => {
      const user = await createUser(sut, 'ivy');
      await request(sut.http).post('/auth/logout').set('Authorization', user.bearer).send({}).expect(204);
      await request(sut.http).get('/me').set('Authorization', user.bearer).expect(401);
      expect(await handshakeError(url, user.bearer.slice('Bearer '.length))).toBe('SESSION_ENDED');
      const again = await loginAs(sut, user.handle, { deviceId: user.deviceId });
      await request(sut.http).get('/me').set('Authorization', again.bearer).expect(200);
      expect(await handshakeError(url, again.bearer.slice('Bearer '.length))).toBe('CONNECTED');
    });

    it('works without a body and rejects unknown fields', async () => {
      const user = await createUser(sut, 'judy');
      await request(sut.http).post('/auth/logout').set('Authorization', user.bearer).send({ all: true }).expect(400);
      await request(sut.http).post('/auth/logout').set('Authorization', user.bearer).expect(204);
    });

    it('requires an access token', async () => {
      const res = await request(sut.http).post('/auth/logout').send({}).expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    });
  });

  it('counts registrations, logins and refresh-token reuse in /metrics', async () => {
    const res = await request(sut.http).get('/metrics').expect(200);
    expect(res.text).toMatch(/^pairchat_auth_registrations_total [1-9]\d*$/m);
    expect(res.text).toMatch(/^pairchat_auth_logins_total\{result="ok"\} [1-9]\d*$/m);
    expect(res.text).toMatch(/^pairchat_auth_logins_total\{result="invalid_credentials"\} [1-9]\d*$/m);
    expect(res.text).toMatch(/^pairchat_auth_refresh_token_reuse_total [1-9]\d*$/m);
  });

  describe('GET /me', () => {
    it('returns the user and the current device', async () => {
      const user = await createUser(sut, 'mallory', { deviceName: 'Phone' });
      const res = await request(sut.http).get('/me').set('Authorization', user.bearer).expect(200);
      expect(res.body).toEqual({
        id: user.id,
        handle: user.handle,
        createdAt: expect.stringMatching(ISO),
        device: expect.objectContaining({ id: user.deviceId, name: 'Phone', current: true }),
      });
    });

    it.each([
      ['no header', undefined],
      ['a non-bearer scheme', 'Basic dXNlcjpwYXNz'],
      ['garbage', 'Bearer not-a-jwt'],
      ['an empty token', 'Bearer '],
    ])('answers 401 UNAUTHORIZED for %s', async (_why, header) => {
      const req = request(sut.http).get('/me');
      if (header !== undefined) req.set('Authorization', header);
      const res = await req.expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    });

    it('rejects an expired token, a token signed with another secret and an alg=none token', async () => {
      const user = await createUser(sut, 'niaj');
      const jwt = sut.app.get(JwtService);
      const past = Math.floor(Date.now() / 1000) - 60;
      const expired = jwt.sign({ sub: user.id, did: user.deviceId, jti: randomUUID(), iat: past - 900, exp: past });
      const res = await request(sut.http).get('/me').set('Authorization', `Bearer ${expired}`).expect(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'access token expired' });

      const forged = jwt.sign(
        { sub: user.id, did: user.deviceId, jti: randomUUID() },
        { secret: 'x'.repeat(40), expiresIn: 60 },
      );
      await request(sut.http).get('/me').set('Authorization', `Bearer ${forged}`).expect(401);

      const [, body] = user.session.accessToken.split('.');
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${body}.`;
      await request(sut.http).get('/me').set('Authorization', `Bearer ${none}`).expect(401);
    });

    it('rejects a validly signed token whose device does not exist', async () => {
      const user = await createUser(sut, 'olivia');
      const token = sut.app
        .get(JwtService)
        .sign({ sub: user.id, did: randomUUID(), jti: randomUUID() }, { expiresIn: 60 });
      await request(sut.http).get('/me').set('Authorization', `Bearer ${token}`).expect(401);
      const crossed = sut.app
        .get(JwtService)
        .sign({ sub: randomUUID(), did: user.deviceId, jti: randomUUID() }, { expiresIn: 60 });
      await request(sut.http).get('/me').set('Authorization', `Bearer ${crossed}`).expect(401);
    });
  });
});
