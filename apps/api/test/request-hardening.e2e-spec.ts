import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, loginAs, PASSWORD, TestUser } from './utils/users.js';

type Method = 'get' | 'post' | 'patch' | 'delete';
interface Route {
  method: Method;
  path: string;
}

/** Every operation of the OpenAPI document, with path parameters filled by fresh UUIDs. */
async function documentedRoutes(sut: TestApp, secured: boolean): Promise<Route[]> {
  const doc = (await request(sut.http).get('/api/docs-json').expect(200)).body as {
    paths: Record<string, Record<string, { security?: unknown[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => Boolean(op.security?.length) === secured)
      .map(([method]) => ({ method: method as Method, path: path.replace(/\{\w+\}/g, () => randomUUID()) })),
  );
}

describeE2E('request hardening', () => {
  let sut: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '1000' });
    user = await createUser(sut, 'hard');
  });
  afterAll(() => sut.close());

  const JSON_BODY_ROUTES: (Route & { bearer: boolean })[] = [
    { method: 'post', path: '/auth/register', bearer: false },
    { method: 'post', path: '/auth/login', bearer: false },
    { method: 'post', path: '/auth/refresh', bearer: false },
    { method: 'post', path: '/auth/logout', bearer: true },
    { method: 'patch', path: '/devices/{me}', bearer: true },
    { method: 'post', path: '/pairs/requests', bearer: true },
    { method: 'post', path: '/blocks', bearer: true },
  ];

  const send = (route: Route & { bearer: boolean }) => {
    const req = request(sut.http)[route.method](route.path.replace('{me}', user.deviceId));
    if (route.bearer) req.set('Authorization', user.bearer);
    return req.set('content-type', 'application/json');
  };

  describe.each(JSON_BODY_ROUTES)('$method $path', (route) => {
    it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
      const res = await send(route).send('{"a": tru');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('MALFORMED_JSON');
    });

    it('answers an oversize body with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await send(route).send(JSON.stringify({ handle: 'x'.repeat(sut.config.bodyLimitBytes + 1) }));
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('answers an unknown field with 400 VALIDATION_FAILED naming it', async () => {
      const res = await send(route).send(JSON.stringify({ surprise: true }));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.fields.map((f: { field: string }) => f.field)).toContain('surprise');
    });

    it('answers a JSON scalar or array with 400, never 500', async () => {
      for (const body of ['"text"', '42', 'null', '[]', '[{"handle":"a"}]']) {
        const res = await send(route).send(body);
        expect({ route: route.path, body, status: res.status }).toEqual({ route: route.path, body, status: 400 });
      }
    });
  });

  it('every bearer route answers 401 to a revoked device, an expired token and a token of a deleted session', async () => {
    const routes = await documentedRoutes(sut, true);
    expect(routes.length).toBeGreaterThanOrEqual(13);
    const victim = await loginAs(sut, user.handle);
    const expired = sut.app
      .get(JwtService)
      .sign({ sub: victim.id, did: victim.deviceId, jti: randomUUID(), iat: 1_000_000, exp: 1_000_060 });
    await request(sut.http).delete(`/devices/${victim.deviceId}`).set('Authorization', user.bearer).expect(204);
    for (const route of routes) {
      for (const bearer of [victim.bearer, `Bearer ${expired}`]) {
        const res = await request(sut.http)[route.method](route.path).set('Authorization', bearer).send({});
        expect({ route, status: res.status, code: res.body.code }).toEqual({
          route,
          status: 401,
          code: 'UNAUTHORIZED',
        });
      }
    }
  });

  it('never answers 500 to garbage path parameters', async () => {
    const routes = (await documentedRoutes(sut, true)).filter((r) => /[0-9a-f-]{36}/.test(r.path));
    for (const route of routes) {
      for (const garbage of ['x', '0', '%27%20OR%201%3D1', 'a'.repeat(300), '00000000-0000-0000-0000-00000000000g']) {
        const path = route.path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, garbage);
        const res = await request(sut.http)[route.method](path).set('Authorization', user.bearer).send({});
        expect({ path, status: res.status }).toEqual({ path, status: expect.any(Number) });
        expect(res.status).toBeLessThan(500);
        expect(res.status).not.toBe(200);
      }
    }
  });

  it('keeps the session of the caller usable throughout', async () => {
    await request(sut.http).get('/me').set('Authorization', user.bearer).expect(200);
    await request(sut.http).post('/auth/login').send({ handle: user.handle, password: PASSWORD }).expect(200);
  });
});
