import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSource, DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { mysqlMigrations, sqliteMigrations } from './migrations/index.js';
import { QuietTypeOrmLogger } from './typeorm-logger.js';

/**
 * mysql2 sizes each connection's prepared-statement cache up front (16,000 slots, ~0.5 MiB of
 * arrays by default). Every query here goes through query(), never execute(): a few slots do.
 */
export const MYSQL_MAX_PREPARED_STATEMENTS = 16;

/**
 * TypeORM options for either dialect. Schema changes only ever come from the migrations, which
 * {@link runMigrations} applies on start; `synchronize` stays off everywhere, tests included.
 */
export function dataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    // Query errors go through pino without their parameters (see QuietTypeOrmLogger).
    logging: ['error', 'warn'] as ('error' | 'warn')[],
    logger: new QuietTypeOrmLogger(),
  } as const;
  if (database.type === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      url: database.url,
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      extra: { maxPreparedStatements: MYSQL_MAX_PREPARED_STATEMENTS },
      migrations: mysqlMigrations,
    };
  }
  if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    // WAL lets readers proceed during a write; busy_timeout waits instead of failing under contention.
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
    migrations: sqliteMigrations,
  };
}

/** MySQL advisory lock name: replicas starting together must not migrate concurrently. */
const MIGRATION_LOCK = 'pairchat:migrations';
const MIGRATION_LOCK_TIMEOUT_SECONDS = 120;

/**
 * Applies pending migrations. On MySQL several api replicas may start at once, so the run is
 * serialised with GET_LOCK; the replicas that wait then find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'mysql') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [row] = await runner.query('SELECT GET_LOCK(?, ?) AS locked', [
      MIGRATION_LOCK,
      MIGRATION_LOCK_TIMEOUT_SECONDS,
    ]);
    if (Number(row?.locked) !== 1) throw new Error('timed out waiting for another replica to finish migrating');
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}
