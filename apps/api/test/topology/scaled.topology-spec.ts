import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConnection } from 'mysql2/promise';
import { ApiProcess, startApiProcess } from '../utils/api-process.js';
import { MARIADB_URL, REDIS_URL, serviceAvailable } from '../utils/services.js';
import { createTestDatabase, TestDatabase } from '../utils/test-db.js';

const LOGIN_LIMIT_PER_HANDLE = 4;

const servicesUp = (await serviceAvailable('MariaDB', MARIADB_URL)) && (await serviceAvailable('Redis', REDIS_URL));

// The docker-compose topology without Docker: three api processes sharing MariaDB, Redis and the JWT secret.
(servicesUp ? describe : describe.skip)('three api processes on one MariaDB and Redis', () => {
  let db: TestDatabase;
  let nodes: ApiProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    const env = {
      ...db.env,
      REDIS_URL,
      REDIS_KEY_PREFIX: `topology${randomBytes(4).toString('hex')}:`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      TRUST_PROXY: 'true',
      LOGIN_LIMIT_PER_HANDLE: String(LOGIN_LIMIT_PER_HANDLE),
    };
    // Started together on an empty database: the migrations must run exactly once.
    nodes = await Promise.all([startApiProcess(env), startApiProcess(env), startApiProcess(env)]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await db?.drop();
  });

  it('all become healthy with the database and Redis up', async () => {
    for (const node of nodes) {
      const body = await fetch(`${node.url}/health`).then((r) => r.json());
      expect(body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
    }
  });

  it('applied each migration once although the replicas started together', async () => {
    const conn = await createConnection(db.env.DATABASE_URL);
    const [rows] = await conn.query('SELECT name, COUNT(*) AS n FROM migrations GROUP BY name');
    await conn.end();
    expect((rows as unknown[]).length).toBeGreaterThanOrEqual(4);
    for (const row of rows as { n: number }[]) expect(Number(row.n)).toBe(1);
  });

  it('accepts a session made on one node on every other node, and revocation takes effect everywhere', async () => {
    const [a, b, c] = nodes;
    const handle = `topo_${randomBytes(4).toString('hex')}`;
    const password = 'correct horse battery staple';
    const post = (node: ApiProcess, path: string, body: object, token?: string) =>
      fetch(`${node.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post(a!, '/auth/register', { handle, password })).status).toBe(201);
    const first = await (await post(b!, '/auth/login', { handle, password, deviceName: 'one' })).json();
    const second = await (await post(c!, '/auth/login', { handle, password, deviceName: 'two' })).json();
    const me = await fetch(`${c!.url}/me`, { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(me.status).toBe(200);
    const revoke = await fetch(`${a!.url}/devices/${first.device.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${second.accessToken}` },
    });
    expect(revoke.status).toBe(204);
    for (const node of nodes) {
      const res = await fetch(`${node.url}/me`, { headers: { authorization: `Bearer ${first.accessToken}` } });
      expect(res.status).toBe(401);
    }
  });

  it('shares the per-handle login limit across nodes through Redis', async () => {
    const handle = `topo_${randomBytes(4).toString('hex')}`;
    await fetch(`${nodes[0]!.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle, password: 'correct horse battery staple' }),
    });
    const attempt = (node: ApiProcess) =>
      fetch(`${node.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${Math.floor(Math.random() * 200)}` },
        body: JSON.stringify({ handle, password: 'wrong password here' }),
      }).then((r) => r.status);
    const statuses = [];
    for (let i = 0; i < LOGIN_LIMIT_PER_HANDLE; i++) statuses.push(await attempt(nodes[i % 3]!));
    expect(statuses).toEqual(Array(LOGIN_LIMIT_PER_HANDLE).fill(401));
    for (const node of nodes) expect(await attempt(node)).toBe(429);
  });

  it('logs nothing at error level while starting', () => {
    for (const node of nodes) expect(node.output()).not.toMatch(/"level":50/);
  });
});
