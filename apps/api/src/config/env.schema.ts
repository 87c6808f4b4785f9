import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every environment variable the api reads. Defaults run with no setup (SQLite, one process).
 * The README's configuration table mirrors this schema; a test keeps them in step.
 */
export const envFields = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^mysql:\/\//, 'must be a mysql:// URL (leave it unset for the embedded SQLite database)')
    .optional(),
  SQLITE_PATH: z.string().min(1).default('./data/pairchat.sqlite'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1-64 letters, digits or :_.-')
    .default('pairchat:'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: int(30, 86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: int(300, 31_536_000).default(2_592_000),
  MAX_DEVICES_PER_USER: int(1, 100).default(5),
  LOGIN_LIMIT_PER_IP: int(1, 100_000).default(30),
  LOGIN_LIMIT_PER_HANDLE: int(1, 100_000).default(10),
  LOGIN_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(300),
  BODY_LIMIT_BYTES: int(1_024, 10_485_760).default(102_400),
  TRUST_PROXY: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WEB_DIST_DIR: z.string().min(1).optional(),
  REGISTER_LIMIT_PER_IP: int(1, 100_000).default(30),
  REGISTER_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(3_600),
  KEY_FETCH_BUCKET_SIZE: int(1, 10_000).default(6),
  KEY_FETCH_REFILL_SECONDS: int(1, 86_400).default(600),
  PREKEY_REPLENISH_THRESHOLD: int(1, 100).default(10),
  SIGNED_PREKEY_MAX_AGE_DAYS: int(1, 365).default(14),
  REPLACED_PREKEY_GRACE_DAYS: int(1, 365).default(30),
  KEY_ROTATION_SWEEP_SECONDS: int(1, 86_400).default(3_600),
  MESSAGE_MAX_CIPHERTEXT_BYTES: int(256, 1_048_576).default(65_536),
  MESSAGE_MAX_DEVICES: int(1, 200).default(20),
  MESSAGE_RATE_LIMIT: int(1, 1_000_000).default(100),
  MESSAGE_RATE_WINDOW_SECONDS: int(1, 3_600).default(10),
  MESSAGE_TTL_SECONDS: int(1, 31_536_000).default(2_592_000),
  MESSAGE_EXPIRY_SWEEP_SECONDS: int(1, 86_400).default(600),
  MESSAGE_FLUSH_INTERVAL_MS: int(0, 1_000).default(2),
  MESSAGE_FLUSH_MAX_ROWS: int(1, 10_000).default(1_000),
  MESSAGE_FLUSH_MAX_BYTES: int(65_536, 268_435_456).default(4_194_304),
  MESSAGE_POLICY_CACHE_MS: int(0, 300_000).default(10_000),
});

export const envSchema = envFields.superRefine((env, ctx) => {
  if (env.DATABASE_URL && !env.JWT_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message: 'is required when DATABASE_URL is set (every api replica must share it)',
    });
  }
});

export type Env = z.infer<typeof envSchema>;

/**
 * Parses the environment, failing with one readable line per bad variable.
 * @throws Error listing every invalid variable; the process should exit.
 */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(present);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
}
