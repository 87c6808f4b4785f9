import { createPool, type Pool, type PoolConnection } from 'mysql2/promise';
import { QueryFailedError } from 'typeorm';
import { MYSQL_MAX_PREPARED_STATEMENTS } from '../database/data-source-options.js';

/** One statement of a batch transaction; values only ever go through `?` placeholders. */
export interface BatchStatement {
  sql: string;
  params: unknown[];
}

/**
 * The queue's hot writes on MySQL/MariaDB, each group-commit batch in ONE round trip: the whole
 * transaction (`START TRANSACTION; ...; COMMIT`) is a single multi-statement query on a small pool
 * of its own, instead of one round trip (and one TypeORM query) per statement. Multi-statements
 * stay off on the main pool; here every value is bound through placeholders, so no data can add a
 * statement. A failed batch is rolled back before its connection goes back to the pool.
 */
export class MysqlBatchWriter {
  private readonly pool: Pool;

  constructor(url: string, connections: number) {
    this.pool = createPool({
      uri: url,
      multipleStatements: true,
      connectionLimit: connections,
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      maxPreparedStatements: MYSQL_MAX_PREPARED_STATEMENTS,
    });
  }

  /**
   * Runs the statements as one transaction, in one round trip.
   * @returns each statement's result (rows for a SELECT, a header with insertId/affectedRows otherwise)
   * @throws QueryFailedError carrying the driver error (errno, code), like TypeORM's queries
   */
  transaction(statements: BatchStatement[], isolation?: 'READ COMMITTED'): Promise<unknown[]> {
    const head = begin(isolation);
    return this.withConnection(statements, (connection) =>
      run(connection, [...head, ...statements.map((s) => s.sql), 'COMMIT'], statements, head.length),
    );
  }

  /**
   * A transaction in two round trips, for writes that depend on what its first statements read and
   * locked: `then` gets the results of `first` and answers the statements that end the transaction
   * (sent with the COMMIT), and a result of its own.
   * @returns the results of `first`, of the statements from `then`, and `then`'s own result
   * @throws QueryFailedError carrying the driver error (errno, code), like TypeORM's queries
   */
  transactionInTwo<T>(
    first: BatchStatement[],
    then: (results: unknown[]) => { statements: BatchStatement[]; result: T },
    isolation?: 'READ COMMITTED',
  ): Promise<[unknown[], unknown[], T]> {
    return this.withConnection(first, async (connection, failing) => {
      const head = begin(isolation);
      const firstResults = await run(connection, [...head, ...first.map((s) => s.sql)], first, head.length);
      const { statements, result } = then(firstResults);
      failing(statements);
      const lastResults = await run(connection, [...statements.map((s) => s.sql), 'COMMIT'], statements, 0);
      return [firstResults, lastResults, result];
    });
  }

  /**
   * Runs `work` on a pooled connection; a failure rolls back, and the error names the statements that
   * were running (`failing` updates them) without their values.
   */
  private async withConnection<T>(
    statements: BatchStatement[],
    work: (connection: PoolConnection, failing: (statements: BatchStatement[]) => void) => Promise<T>,
  ): Promise<T> {
    let running = statements;
    const connection = await this.pool.getConnection();
    let reusable = true;
    try {
      return await work(connection, (next) => (running = next));
    } catch (error) {
      reusable = await rollback(connection);
      throw new QueryFailedError(running.map((s) => s.sql.slice(0, 60)).join('; '), undefined, driverFacts(error));
    } finally {
      if (reusable) connection.release();
      else connection.destroy();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const begin = (isolation?: 'READ COMMITTED'): string[] =>
  isolation ? [`SET TRANSACTION ISOLATION LEVEL ${isolation}`, 'START TRANSACTION'] : ['START TRANSACTION'];

/**
 * Runs `sql` (statements joined into one multi-statement query) with the statements' params.
 * @returns the results of `statements`, which start at index `offset`
 */
async function run(
  connection: PoolConnection,
  sql: string[],
  statements: BatchStatement[],
  offset: number,
): Promise<unknown[]> {
  const [results] = await connection.query(
    sql.join(';\n'),
    statements.flatMap((s) => s.params),
  );
  // One statement answers its result alone, not in a list.
  const list = sql.length === 1 ? [results] : (results as unknown[]);
  return list.slice(offset, offset + statements.length);
}

/**
 * The driver error without its text: mysql2 sets `sql` (the whole batch, ciphertexts and ids
 * inlined) and `sqlMessage` (e.g. "Duplicate entry '<device>-<client message id>'"), and
 * QueryFailedError copies every field. Only the codes callers branch on are kept.
 */
export function driverFacts(error: unknown): Error {
  const { code, errno, sqlState } = (error ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown };
  return Object.assign(new Error(`batch write failed (${String(code ?? 'unknown')})`), { code, errno, sqlState });
}

/** Ends a transaction left open by a failed statement; false when the connection is unusable. */
async function rollback(connection: PoolConnection): Promise<boolean> {
  try {
    await connection.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}
