import { QueryFailedError } from 'typeorm';

interface DriverError {
  code?: string;
  errno?: number;
}

/**
 * True when a write failed on a unique index or primary key, on either dialect: MySQL/MariaDB
 * ER_DUP_ENTRY (1062) or SQLite SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY. Services map it to their
 * own conflict code, so concurrent duplicates are settled by the index, not by a prior read.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driver = (error as QueryFailedError & { driverError?: DriverError }).driverError ?? {};
  return (
    driver.code === 'ER_DUP_ENTRY' ||
    driver.errno === 1062 ||
    driver.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    driver.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
