import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Env, parseEnv } from './env.schema.js';

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'mysql'; url: string };

/** Typed, validated configuration. Built once at start-up; inject it anywhere. */
export class AppConfig {
  readonly env: Env['NODE_ENV'];
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly redisUrl: string | undefined;
  readonly jwtSecret: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly maxDevicesPerUser: number;
  readonly loginLimit: { perIp: number; perHandle: number; windowMs: number };
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly webDistDir: string;

  constructor(env: Env) {
    this.env = env.NODE_ENV;
    this.host = env.HOST;
    this.port = env.PORT;
    this.database = env.DATABASE_URL
      ? { type: 'mysql', url: env.DATABASE_URL }
      : { type: 'sqlite', path: resolve(env.SQLITE_PATH) };
    this.redisUrl = env.REDIS_URL;
    this.jwtSecret = env.JWT_SECRET ?? AppConfig.localJwtSecret(this.database);
    this.accessTokenTtlSeconds = env.ACCESS_TOKEN_TTL_SECONDS;
    this.refreshTokenTtlSeconds = env.REFRESH_TOKEN_TTL_SECONDS;
    this.maxDevicesPerUser = env.MAX_DEVICES_PER_USER;
    this.loginLimit = {
      perIp: env.LOGIN_LIMIT_PER_IP,
      perHandle: env.LOGIN_LIMIT_PER_HANDLE,
      windowMs: env.LOGIN_LIMIT_WINDOW_SECONDS * 1000,
    };
    this.bodyLimitBytes = env.BODY_LIMIT_BYTES;
    this.trustProxy = env.TRUST_PROXY;
    this.logLevel = env.LOG_LEVEL;
    this.webDistDir = resolve(env.WEB_DIST_DIR ?? fileURLToPath(new URL('../../../web/dist', import.meta.url)));
  }

  /** Reads and validates process.env (or the given source). */
  static fromEnv(source: Record<string, string | undefined> = process.env): AppConfig {
    return new AppConfig(parseEnv(source));
  }

  /**
   * The single-node default needs no setup, so the signing secret is generated on first start and
   * kept beside the SQLite file (mode 0600): tokens then survive restarts. Scaled deployments must
   * set JWT_SECRET (the schema enforces it with DATABASE_URL).
   */
  private static localJwtSecret(database: DatabaseConfig): string {
    if (database.type !== 'sqlite' || database.path === ':memory:') return randomBytes(32).toString('base64url');
    const file = resolve(dirname(database.path), 'jwt-secret');
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    mkdirSync(dirname(file), { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}
