import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { mysqlMigrations, sqliteMigrations } from '../src/database/migrations/index.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';

const EXPECTED_TABLES = ['users', 'devices', 'refresh_tokens', 'pair_requests', 'pairs', 'blocks'];
const EXPECTED_INDEXES = [
  'uq_users_handle',
  'idx_devices_user',
  'uq_refresh_tokens_hash',
  'idx_refresh_tokens_family',
  'idx_refresh_tokens_device',
  'idx_refresh_tokens_user',
  'uq_pair_requests_users',
  'idx_pair_requests_from',
  'idx_pair_requests_to',
  'uq_pairs_users',
  'idx_pairs_user_high',
  'uq_blocks_users',
  'idx_blocks_blocked',
];

const names = (list: (new () => { name?: string })[]) => list.map((Migration) => new Migration().name);

async function tables(db: DataSource): Promise<string[]> {
  const rows: { name: string }[] =
    db.options.type === 'mysql'
      ? await db.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')
      : await db.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`);
  return rows.map((r) => r.name).sort();
}

async function indexes(db: DataSource): Promise<string[]> {
  const rows: { name: string }[] =
    db.options.type === 'mysql'
      ? await db.query(
          `SELECT DISTINCT index_name AS name FROM information_schema.statistics
           WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY'`,
        )
      : await db.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`);
  return rows.map((r) => r.name).sort();
}

it('lists the same migrations in the same order for both dialects', () => {
  expect(names(sqliteMigrations)).toEqual(names(mysqlMigrations));
  expect(new Set(names(sqliteMigrations)).size).toBe(sqliteMigrations.length);
  expect(names(sqliteMigrations).every((name) => /\d{13}$/.test(name ?? ''))).toBe(true);
});

describeE2E('migrations', () => {
  let sut: TestApp;
  let db: DataSource;
  beforeAll(async () => {
    sut = await createTestApp();
    db = sut.app.get(DataSource);
  });
  afterAll(() => sut.close());

  it('brings a fresh database to the latest schema on start', async () => {
    const applied: { name: string }[] = await db.query('SELECT name FROM migrations ORDER BY id');
    const expected = names(db.options.type === 'mysql' ? mysqlMigrations : sqliteMigrations);
    expect(applied.map((m) => m.name)).toEqual(expected);
    expect(await tables(db)).toEqual(expect.arrayContaining([...EXPECTED_TABLES, 'migrations']));
    expect(await indexes(db)).toEqual(expect.arrayContaining(EXPECTED_INDEXES));
  });

  it('names every index explicitly (uq_ or idx_)', async () => {
    expect((await indexes(db)).filter((name) => !/^(uq|idx)_[a-z0-9_]+$/.test(name))).toEqual([]);
  });

  it('undoes every migration, leaving only the migrations table', async () => {
    const count = (db.options.type === 'mysql' ? mysqlMigrations : sqliteMigrations).length;
    for (let i = 0; i < count; i++) await db.undoLastMigration({ transaction: 'each' });
    expect(await tables(db)).toEqual(['migrations']);
    expect(await db.query('SELECT name FROM migrations')).toEqual([]);
  });
});
