import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Env, parseEnv } from './env.schema.js';

const DAY_MS = 86_400_000;

/** Key directory settings (defaults follow the policy constants in @pairchat/keys). */
export interface KeysConfig {
  /** Bundle fetches per (requesting device, target device): bucket size and refill interval. */
  fetchBucketSize: number;
  fetchRefillMs: number;
  /** Below this many one-time prekeys of either kind a device is told to replenish. */
  replenishThreshold: number;
  /** Signed and last-resort keys older than this are out of date. */
  signedPreKeyMaxAgeMs: number;
  /** Replaced signed and last-resort keys are kept this long, then purged. */
  replacedKeyGraceMs: number;
  /** How often the rotation sweep runs. */
  rotationSweepMs: number;
}

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'mysql'; url: string };

/** Limits and timings of the realtime message queue (see the MESSAGE_* variables). */
export interface MessagingConfig {
  maxCiphertextBytes: number;
  maxDevicesPerMessage: number;
  rateLimit: { points: number; windowSeconds: number };
  ttlMs: number;
  expirySweepMs: number;
  flushIntervalMs: number;
  flushMaxRows: number;
  /** Ciphertext bytes per group-commit batch (keeps one INSERT under MySQL's max_allowed_packet). */
  flushMaxBytes: number;
  policyCacheMs: number;
}

/** Typed, validated configuration. Built once at start-up; inject it anywhere. */
export class AppConfig {
  readonly env: Env['NODE_ENV'];
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly redisUrl: string | undefined;
  /** Namespace of every Redis key this app writes (rate limits, ...), so deployments can share a Redis. */
  readonly redisKeyPrefix: string;
  readonly jwtSecret: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly maxDevicesPerUser: number;
  readonly loginLimit: { perIp: number; perHandle: number; windowMs: number };
  /** Account creations per client IP per window (each costs an argon2 hash). */
  readonly registerLimit: { perIp: number; windowMs: number };
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly webDistDir: string;
  readonly messaging: MessagingConfig;
  readonly keys: KeysConfig;

  constructor(env: Env) {
    this.env = env.NODE_ENV;
    this.host = env.HOST;
    this.port = env.PORT;
    this.database = env.DATABASE_URL
      ? { type: 'mysql', url: env.DATABASE_URL }
      : { type: 'sqlite', path: resolve(env.SQLITE_PATH) };
    this.redisUrl = env.REDIS_URL;
    this.redisKeyPrefix = env.REDIS_KEY_PREFIX;
    this.jwtSecret = env.JWT_SECRET ?? AppConfig.localJwtSecret(this.database);
    this.accessTokenTtlSeconds = env.ACCESS_TOKEN_TTL_SECONDS;
    this.refreshTokenTtlSeconds = env.REFRESH_TOKEN_TTL_SECONDS;
    this.maxDevicesPerUser = env.MAX_DEVICES_PER_USER;
    this.registerLimit = {
      perIp: env.REGISTER_LIMIT_PER_IP,
      windowMs: env.REGISTER_LIMIT_WINDOW_SECONDS * 1000,
    };
    this.loginLimit = {
      perIp: env.LOGIN_LIMIT_PER_IP,
      perHandle: env.LOGIN_LIMIT_PER_HANDLE,
      windowMs: env.LOGIN_LIMIT_WINDOW_SECONDS * 1000,
    };
    this.bodyLimitBytes = env.BODY_LIMIT_BYTES;
    this.trustProxy = env.TRUST_PROXY;
    this.logLevel = env.LOG_LEVEL;
    this.keys = {
      fetchBucketSize: env.KEY_FETCH_BUCKET_SIZE,
      fetchRefillMs: env.KEY_FETCH_REFILL_SECONDS * 1000,
      replenishThreshold: env.PREKEY_REPLENISH_THRESHOLD,
      signedPreKeyMaxAgeMs: env.SIGNED_PREKEY_MAX_AGE_DAYS * DAY_MS,
      replacedKeyGraceMs: env.REPLACED_PREKEY_GRACE_DAYS * DAY_MS,
      rotationSweepMs: env.KEY_ROTATION_SWEEP_SECONDS * 1000,
    };
    this.messaging = {
      maxCiphertextBytes: env.MESSAGE_MAX_CIPHERTEXT_BYTES,
      maxDevicesPerMessage: env.MESSAGE_MAX_DEVICES,
      rateLimit: { points: env.MESSAGE_RATE_LIMIT, windowSeconds: env.MESSAGE_RATE_WINDOW_SECONDS },
      ttlMs: env.MESSAGE_TTL_SECONDS * 1000,
      expirySweepMs: env.MESSAGE_EXPIRY_SWEEP_SECONDS * 1000,
      flushIntervalMs: env.MESSAGE_FLUSH_INTERVAL_MS,
      flushMaxRows: env.MESSAGE_FLUSH_MAX_ROWS,
      flushMaxBytes: env.MESSAGE_FLUSH_MAX_BYTES,
      policyCacheMs: env.MESSAGE_POLICY_CACHE_MS,
    };
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
