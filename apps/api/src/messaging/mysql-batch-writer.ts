import { createPool, type Pool, type PoolConnection } from 'mysql2/promise';
import { QueryFailedError } from 'typeorm';

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
    });
  }

  /**
   * Runs the statements as one transaction.
   * @returns each statement's result (rows for a SELECT, a header with insertId/affectedRows otherwise)
   * @throws QueryFailedError carrying the driver error (errno, code), like TypeORM's queries
   */
  async transaction(statements: BatchStatement[], isolation?: 'READ COMMITTED'): Promise<unknown[]> {
    const head = isolation
      ? [`SET TRANSACTION ISOLATION LEVEL ${isolation}`, 'START TRANSACTION']
      : ['START TRANSACTION'];
    const sql = [...head, ...statements.map((s) => s.sql), 'COMMIT'].join(';\n');
    const connection = await this.pool.getConnection();
    let reusable = true;
    try {
      const [results] = await connection.query(
        sql,
        statements.flatMap((s) => s.params),
      );
      return (results as unknown[]).slice(head.length, head.length + statements.length);
    } catch (error) {
      reusable = await rollback(connection);
      throw new QueryFailedError(statements.map((s) => s.sql.slice(0, 60)).join('; '), undefined, driverFacts(error));
    } finally {
      if (reusable) connection.release();
      else connection.destroy();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
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
