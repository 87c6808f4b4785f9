import { QueryFailedError } from 'typeorm';

export interface DriverError {
  code?: string;
  errno?: number;
}

/** Driver codes of a unique-index or primary-key violation: MySQL/MariaDB and SQLite. */
export const UNIQUE_VIOLATION_CODES: ReadonlySet<string> = new Set([
  'ER_DUP_ENTRY',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
]);

/**
 * True when a write failed on a unique index or primary key, on either dialect: MySQL/MariaDB
 * ER_DUP_ENTRY (1062) or SQLite SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY. Services map it to their
 * own conflict code, so concurrent duplicates are settled by the index, not by a prior read.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driver = (error as QueryFailedError & { driverError?: DriverError }).driverError ?? {};
  return (driver.code !== undefined && UNIQUE_VIOLATION_CODES.has(driver.code)) || driver.errno === 1062;
}
