import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Repository } from 'typeorm';
import type { SocketEmitter } from '../realtime/socket-emitter.js';
import { fakeRepositories, InMemoryRepository } from '../../test/fakes/in-memory-repository.js';
import { AppConfig } from '../config/app-config.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { DevicesService } from '../devices/devices.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AuthService } from './auth.service.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';

const PASSWORD = 'correct horse battery staple';
const SECRET = 's'.repeat(40);

describe(AuthService.name, () => {
  let tokens: InMemoryRepository<RefreshTokenEntity>;
  let devices: DevicesService;
  let jwt: JwtService;
  let sut: AuthService;

  beforeEach(() => {
    const db = fakeRepositories();
    const config = AppConfig.fromEnv({ JWT_SECRET: SECRET, ACCESS_TOKEN_TTL_SECONDS: '60' });
    const users = new UsersService(
      db.repository<UserEntity>(UserEntity, [['handle']]) as unknown as Repository<UserEntity>,
    );
    devices = new DevicesService(
      db.repository<DeviceEntity>(DeviceEntity) as unknown as Repository<DeviceEntity>,
      config,
    );
    tokens = db.repository<RefreshTokenEntity>(RefreshTokenEntity, [['tokenHash']]);
    jwt = new JwtService({ secret: SECRET });
    sut = new AuthService(
      users,
      devices,
      tokens as unknown as Repository<RefreshTokenEntity>,
      jwt,
      config,
      new MetricsService(),
      { disconnectDevice: () => undefined } as unknown as SocketEmitter,
    );
    sut.onModuleInit();
  });

  async function registerAndLogin(handle = 'alice') {
    await sut.register({ handle, password: PASSWORD });
    const user = await sut.verifyCredentials(handle, PASSWORD);
    return { user, session: await sut.login(user, {}) };
  }

  describe('register', () => {
    it.each([
      ['TOO_SHORT', 'short pw'],
      ['TOO_LONG', 'ab'.repeat(65)],
      ['SAME_AS_HANDLE', 'Alice.Smith1'],
      ['ONE_CHARACTER', 'zzzzzzzzzzzz'],
    ])('rejects a password that is %s with WEAK_PASSWORD', async (reason, password) => {
      await expect(sut.register({ handle: 'alice.smith1', password })).rejects.toMatchObject({
        code: 'WEAK_PASSWORD',
        details: { reason },
      });
    });

    it('stores an argon2id hash, never the password', async () => {
      const dto = await sut.register({ handle: 'Alice', password: PASSWORD });
      expect(dto).toEqual({ id: expect.any(String), handle: 'alice', createdAt: expect.any(String) });
      const user = await sut.verifyCredentials('alice', PASSWORD);
      expect(user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect(user.passwordHash).not.toContain(PASSWORD);
    });
  });

  describe('verifyCredentials', () => {
    it('gives the same answer for an unknown handle and a wrong password', async () => {
      await sut.register({ handle: 'alice', password: PASSWORD });
      const wrong = await sut.verifyCredentials('alice', 'not the password').catch((e: unknown) => e);
      const unknown = await sut.verifyCredentials('nobody', PASSWORD).catch((e: unknown) => e);
      expect(wrong).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'wrong handle or password' });
      expect(unknown).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'wrong handle or password' });
    });

    it('accepts the handle in any case', async () => {
      await sut.register({ handle: 'alice', password: PASSWORD });
      await expect(sut.verifyCredentials('ALICE', PASSWORD)).resolves.toMatchObject({ handle: 'alice' });
    });
  });

  describe('login', () => {
    it('issues an access token for the user and device, and stores only a hash of the refresh token', async () => {
      const { user, session } = await registerAndLogin();
      const claims = jwt.verify(session.accessToken);
      expect(claims).toMatchObject({ sub: user.id, did: session.device.id, jti: expect.any(String) });
      expect(claims.exp - claims.iat).toBe(60);
      expect(Date.parse(session.accessTokenExpiresAt)).toBe(claims.exp * 1000);
      expect(tokens.rows).toHaveLength(1);
      expect(tokens.rows[0].tokenHash).toBe(createHash('sha256').update(session.refreshToken).digest('hex'));
      expect(JSON.stringify(tokens.rows)).not.toContain(session.refreshToken);
    });

    it('registers a new device named "Web browser" unless told otherwise', async () => {
      const { user, session } = await registerAndLogin();
      expect(session.device).toMatchObject({ name: 'Web browser', registrationId: null, current: true });
      const named = await sut.login(user, { deviceName: 'Phone', registrationId: 42 });
      expect(named.device).toMatchObject({ name: 'Phone', registrationId: 42 });
    });

    it("refuses another user's device", async () => {
      const alice = await registerAndLogin('alice');
      const bob = await registerAndLogin('bob');
      await expect(sut.login(bob.user, { deviceId: alice.session.device.id })).rejects.toMatchObject({
        code: 'DEVICE_NOT_FOUND',
      });
    });
  });

  describe('refresh', () => {
    it('rotates the token within its family', async () => {
      const { session } = await registerAndLogin();
      const next = await sut.refresh(session.refreshToken);
      expect(next.refreshToken).not.toBe(session.refreshToken);
      expect(next.device.id).toBe(session.device.id);
      expect(new Set(tokens.rows.map((t) => t.familyId)).size).toBe(1);
      expect(tokens.rows[0].replacedBy).toBe(tokens.rows[1].id);
    });

    it('revokes the whole family when a spent token comes back', async () => {
      const { session } = await registerAndLogin();
      const next = await sut.refresh(session.refreshToken);
      await expect(sut.refresh(session.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      expect(tokens.rows.every((t) => t.revokedAt !== null)).toBe(true);
      await expect(sut.refresh(next.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    });

    it('does not touch other families on reuse', async () => {
      const alice = await registerAndLogin('alice');
      const other = await sut.login(alice.user, {});
      await sut.refresh(alice.session.refreshToken);
      await expect(sut.refresh(alice.session.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      await expect(sut.refresh(other.refreshToken)).resolves.toMatchObject({ device: { id: other.device.id } });
    });

    it('rejects unknown and expired tokens', async () => {
      const { session } = await registerAndLogin();
      await expect(sut.refresh('unknown')).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      tokens.rows[0].expiresAt = new Date(Date.now() - 1);
      await expect(sut.refresh(session.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    });

    it('treats a token whose claim was lost to a concurrent refresh as reuse', async () => {
      const { session } = await registerAndLogin();
      const [first, second] = await Promise.allSettled([
        sut.refresh(session.refreshToken),
        sut.refresh(session.refreshToken),
      ]);
      expect(first.status).toBe('fulfilled');
      expect(second).toMatchObject({ status: 'rejected', reason: { code: 'REFRESH_TOKEN_REUSED' } });
    });
  });

  describe('refresh-token purge', () => {
    it('warns when the hourly purge fails', async () => {
      jest.useFakeTimers();
      try {
        sut.onApplicationShutdown();
        sut.onModuleInit();
        jest.spyOn(tokens, 'delete').mockRejectedValue(new Error('database is locked'));
        const warn = jest
          .spyOn((sut as unknown as { logger: Logger }).logger, 'warn')
          .mockImplementation(() => undefined);
        await jest.advanceTimersByTimeAsync(3_600_000);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toContain('refresh-token purge failed');
      } finally {
        sut.onApplicationShutdown();
        jest.useRealTimers();
      }
    });
  });

  describe('logout and revocation', () => {
    it("logout revokes the device's refresh tokens and keeps the device", async () => {
      const { user, session } = await registerAndLogin();
      await sut.logout({ userId: user.id, deviceId: session.device.id });
      await expect(sut.refresh(session.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      await expect(devices.findOwned(user.id, session.device.id)).resolves.toBeDefined();
    });

    it('logout and refresh-token reuse end the access tokens issued before them', async () => {
      const { user, session } = await registerAndLogin();
      const claims = async (token: string) => jwt.verifyAsync<{ sub: string; did: string; gen?: number }>(token);
      const active = async (token: string) => {
        const c = await claims(token);
        return devices.authenticate(c.sub, c.did, new Date(), c.gen ?? 0);
      };
      expect(await active(session.accessToken)).toBe(true);
      await sut.logout({ userId: user.id, deviceId: session.device.id });
      expect(await active(session.accessToken)).toBe(false);

      const again = await sut.login(user, { deviceId: session.device.id });
      expect(await active(again.accessToken)).toBe(true);
      await sut.refresh(again.refreshToken);
      await expect(sut.refresh(again.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      expect(await active(again.accessToken)).toBe(false);
    });

    it('revoking a device revokes its refresh tokens in the same step', async () => {
      const { user, session } = await registerAndLogin();
      await devices.revoke(user.id, session.device.id);
      expect(tokens.rows.every((t) => t.revokedAt !== null)).toBe(true);
      await expect(sut.refresh(session.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    });

    it('me describes the user and the current device', async () => {
      const { user, session } = await registerAndLogin();
      expect(await sut.me({ userId: user.id, deviceId: session.device.id })).toEqual({
        id: user.id,
        handle: 'alice',
        createdAt: user.createdAt.toISOString(),
        device: expect.objectContaining({ id: session.device.id, current: true }),
      });
    });
  });
});
