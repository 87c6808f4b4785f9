import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { MARIADB_URL } from './services.js';

export type TestDialect = 'sqlite' | 'mariadb';

export interface TestDatabase {
  dialect: TestDialect;
  /** Environment for AppConfig: SQLITE_PATH or DATABASE_URL. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** The dialect the current jest project runs on (set by setup-sqlite.ts / setup-mariadb.ts). */
export function testDialect(): TestDialect {
  return process.env.PAIRCHAT_TEST_DB === 'mariadb' ? 'mariadb' : 'sqlite';
}

/** A brand-new, empty database for one test file. */
export async function createTestDatabase(dialect: TestDialect = testDialect()): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pairchat-test-'));
    return {
      dialect,
      env: { SQLITE_PATH: join(dir, 'test.sqlite') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `pairchat_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection(MARIADB_URL);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  return {
    dialect,
    env: { DATABASE_URL: `${MARIADB_URL}/${name}` },
    drop: async () => {
      const conn = await createConnection(MARIADB_URL);
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
