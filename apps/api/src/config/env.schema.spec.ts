import { describe, expect, it } from '@jest/globals';
import { parseEnv } from './env.schema.js';

describe(parseEnv.name, () => {
  it('runs with no configuration at all', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.SQLITE_PATH).toBe('./data/pairchat.sqlite');
  });

  it('coerces numbers and booleans', () => {
    const env = parseEnv({ PORT: '8080', TRUST_PROXY: 'true', MAX_DEVICES_PER_USER: '3' });
    expect(env).toMatchObject({ PORT: 8080, TRUST_PROXY: true, MAX_DEVICES_PER_USER: 3 });
  });

  it('names every bad variable in one error', () => {
    expect(() => parseEnv({ PORT: 'eighty', REDIS_URL: 'http://x', JWT_SECRET: 'short' })).toThrow(
      /PORT:[\s\S]*REDIS_URL: must be a redis[\s\S]*JWT_SECRET: must be at least 32/,
    );
  });

  it('requires a shared JWT secret when running on MySQL', () => {
    expect(() => parseEnv({ DATABASE_URL: 'mysql://root@db/pairchat' })).toThrow(/JWT_SECRET: is required/);
  });

  it('rejects a non-MySQL database URL', () => {
    expect(() => parseEnv({ DATABASE_URL: 'postgres://x' })).toThrow(/DATABASE_URL: must be a mysql/);
  });

  it('namespaces Redis keys with a validated prefix', () => {
    expect(parseEnv({}).REDIS_KEY_PREFIX).toBe('pairchat:');
    expect(parseEnv({ REDIS_KEY_PREFIX: 'test-1:' }).REDIS_KEY_PREFIX).toBe('test-1:');
    expect(() => parseEnv({ REDIS_KEY_PREFIX: 'has space' })).toThrow(/REDIS_KEY_PREFIX: must be 1-64/);
  });

  it('defaults the message limits to 64 KiB ciphertexts, 20 devices and a 30-day queue', () => {
    expect(parseEnv({})).toMatchObject({
      MESSAGE_MAX_CIPHERTEXT_BYTES: 65_536,
      MESSAGE_MAX_DEVICES: 20,
      MESSAGE_TTL_SECONDS: 2_592_000,
      MESSAGE_FLUSH_INTERVAL_MS: 2,
    });
    expect(() => parseEnv({ MESSAGE_MAX_CIPHERTEXT_BYTES: '100' })).toThrow(/MESSAGE_MAX_CIPHERTEXT_BYTES/);
    expect(() => parseEnv({ MESSAGE_MAX_DEVICES: '0' })).toThrow(/MESSAGE_MAX_DEVICES/);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
  });
});
