import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * TypeORM's better-sqlite3 driver runs every query on ONE shared connection and query runner, so
 * two concurrent `manager.transaction()` calls collide ("cannot start a transaction within a
 * transaction"), and a query issued outside a transaction while another flow has one open silently
 * joins it (and is rolled back with it). This serialises them: a transaction holds a mutex for its
 * whole callback, and a query outside any transaction takes the mutex for just that query.
 * Transactions stay short here, and SQLite is the single-process mode, so the cost is small.
 */
export function serializeSqliteAccess(dataSource: DataSource): void {
  if (dataSource.options.type !== 'better-sqlite3') return;
  const inTransaction = new AsyncLocalStorage<true>();
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  (manager as { transaction: unknown }).transaction = (...args: unknown[]) =>
    inTransaction.getStore()
      ? transaction(...args)
      : exclusive(() => inTransaction.run(true, () => transaction(...args)));

  const runner: QueryRunner = dataSource.createQueryRunner();
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  (runner as { query: unknown }).query = (...args: unknown[]) =>
    inTransaction.getStore() ? query(...args) : exclusive(() => query(...args));
}
