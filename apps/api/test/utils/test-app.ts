import { randomBytes } from 'node:crypto';
import { describe } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { createLogger } from '../../src/logging/logger.js';
import { MARIADB_URL, serviceAvailable } from './services.js';
import { createTestDatabase, TestDatabase, testDialect } from './test-db.js';

export interface TestApp {
  app: NestExpressApplication;
  /** The underlying HTTP server, for supertest. */
  http: ReturnType<NestExpressApplication['getHttpServer']>;
  config: AppConfig;
  db: TestDatabase;
  close(): Promise<void>;
}

/**
 * Starts the real api on a fresh database of the project's dialect (migrations included).
 * `env` overrides any configuration variable.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    WEB_DIST_DIR: '/nonexistent',
    // Suites create many accounts from 127.0.0.1; the registration limit has its own test.
    REGISTER_LIMIT_PER_IP: '100000',
    ...db.env,
    ...env,
  });
  const { app } = await createApp(config, createLogger(config.logLevel));
  return {
    app,
    http: app.getHttpServer(),
    config,
    db,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

const mariadbUp = testDialect() === 'mariadb' ? await serviceAvailable('MariaDB', MARIADB_URL) : true;

/** `describe` for e2e suites: names the dialect, and skips loudly when MariaDB is required but absent. */
export const describeE2E = (name: string, fn: () => void): void =>
  (mariadbUp ? describe : describe.skip)(`${name} [${testDialect()}]`, fn);
