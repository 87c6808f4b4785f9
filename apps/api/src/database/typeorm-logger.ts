import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';
import { type DriverError, UNIQUE_VIOLATION_CODES } from './db-errors.js';

/**
 * TypeORM's own logger prints failed queries with their parameters to the console; parameters are
 * user data (handles, token hashes). This one goes through the app's pino logger and names only the
 * driver error code. Unique violations are expected outcomes (services map them to 409) and stay quiet.
 */
export class QuietTypeOrmLogger implements Logger {
  private readonly logger = new NestLogger('TypeORM');

  logQuery(): void {}

  logQueryError(error: string | Error): void {
    const driver = (typeof error === 'object' ? error : {}) as DriverError;
    if (driver.code && UNIQUE_VIOLATION_CODES.has(driver.code)) return;
    this.logger.warn(`query failed (${driver.code ?? driver.errno ?? 'unknown error'})`);
  }

  logQuerySlow(time: number): void {
    this.logger.warn(`slow query (${time} ms)`);
  }

  logSchemaBuild(): void {}

  logMigration(): void {}

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
