import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConnection } from 'mysql2/promise';
import { ApiProcess, startApiProcess } from '../utils/api-process.js';
import { MARIADB_URL, REDIS_URL, serviceAvailable } from '../utils/services.js';
import { createTestDatabase, TestDatabase } from '../utils/test-db.js';

const servicesUp = (await serviceAvailable('MariaDB', MARIADB_URL)) && (await serviceAvailable('Redis', REDIS_URL));

// The docker-compose topology without Docker: three api processes sharing MariaDB, Redis and the JWT secret.
(servicesUp ? describe : describe.skip)('three api processes on one MariaDB and Redis', () => {
  let db: TestDatabase;
  let nodes: ApiProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    const env = { ...db.env, REDIS_URL, JWT_SECRET: randomBytes(32).toString('hex'), TRUST_PROXY: 'true' };
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
    for (const row of rows as { n: number }[]) expect(Number(row.n)).toBe(1);
  });

  it('logs nothing at error level while starting', () => {
    for (const node of nodes) expect(node.output()).not.toMatch(/"level":50/);
  });
});
