import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { api } from '@/api/index.js';
import { aDevice, aSession, apiError, aUser, installFakeFetch } from '@/testing/fake-fetch.js';
import { DEVICES_KEY, REFRESH_TOKEN_KEY, useSessionStore } from './session.js';

describe(useSessionStore.name, () => {
  let fake: ReturnType<typeof installFakeFetch>;
  let sut: ReturnType<typeof useSessionStore>;

  beforeEach(() => {
    localStorage.clear();
    fake = installFakeFetch();
    setActivePinia(createPinia());
    sut = useSessionStore();
  });

  async function signIn(session = aSession()) {
    fake.on('POST /auth/login', { status: 200, body: session });
    await sut.login({ handle: session.user.handle, password: 'correct horse battery' });
    return session;
  }

  describe('login', () => {
    it('keeps the access token in memory and the refresh token in localStorage', async () => {
      const session = await signIn();

      expect(sut.isAuthenticated).toBe(true);
      expect(sut.accessToken).toBe(session.accessToken);
      expect(sut.user).toEqual(session.user);
      expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBe(session.refreshToken);
      expect(JSON.stringify(localStorage)).not.toContain(session.accessToken);
    });

    it('sends a lowercased handle and the device name for a new device', async () => {
      fake.on('POST /auth/login', { status: 200, body: aSession() });

      await sut.login({ handle: ' Alice ', password: 'correct horse battery', deviceName: ' Laptop ' });

      expect(fake.calls[0]?.body).toEqual({ handle: 'alice', password: 'correct horse battery', deviceName: 'Laptop' });
    });

    it('reuses the device this browser registered for the handle', async () => {
      const first = await signIn(aSession({ user: aUser('alice') }));
      sut.end();

      await sut.login({ handle: 'alice', password: 'correct horse battery', deviceName: 'ignored' });

      expect(fake.calls[1]?.body).toEqual({
        handle: 'alice',
        password: 'correct horse battery',
        deviceId: first.device.id,
      });
      expect(sut.hasRememberedDevice('ALICE')).toBe(true);
      expect(sut.hasRememberedDevice('bob')).toBe(false);
    });

    it('registers a new device when the remembered one was revoked', async () => {
      const replacement = aSession({ user: aUser('alice'), device: aDevice({ name: 'Web browser' }) });
      localStorage.setItem(DEVICES_KEY, JSON.stringify({ alice: 'revoked-device' }));
      fake.on('POST /auth/login', (call) =>
        (call.body as { deviceId?: string }).deviceId
          ? apiError(404, 'DEVICE_NOT_FOUND')
          : { status: 200, body: replacement },
      );

      await sut.login({ handle: 'alice', password: 'correct horse battery' });

      expect(fake.callsTo('POST /auth/login').map((call) => call.body)).toEqual([
        { handle: 'alice', password: 'correct horse battery', deviceId: 'revoked-device' },
        { handle: 'alice', password: 'correct horse battery', deviceName: 'Web browser' },
      ]);
      expect(JSON.parse(localStorage.getItem(DEVICES_KEY)!)).toEqual({ alice: replacement.device.id });
    });

    it('stays signed out on wrong credentials', async () => {
      fake.on('POST /auth/login', apiError(401, 'INVALID_CREDENTIALS'));

      await expect(sut.login({ handle: 'alice', password: 'wrong password' })).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
      expect(sut.isAuthenticated).toBe(false);
      expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    });
  });

  describe('refresh', () => {
    it('shares one refresh between concurrent 401s and retries each request', async () => {
      const first = await signIn();
      const next = aSession({ user: first.user, device: first.device });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      fake.on('POST /auth/refresh', async () => {
        await gate;
        return { status: 200, body: next };
      });
      const byToken = (call: { authorization: string | null }) =>
        call.authorization === `Bearer ${next.accessToken}` ? { status: 200, body: [] } : apiError(401, 'UNAUTHORIZED');
      fake.on('GET /pairs', byToken).on('GET /devices', byToken).on('GET /blocks', byToken);

      const results = Promise.all([api.listPairs(), api.listDevices(), api.listBlocks()]);
      await new Promise((resolve) => setTimeout(resolve, 0));
      release();

      await expect(results).resolves.toEqual([[], [], []]);
      expect(fake.callsTo('POST /auth/refresh')).toHaveLength(1);
      expect(fake.callsTo('POST /auth/refresh')[0]?.body).toEqual({ refreshToken: first.refreshToken });
      expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBe(next.refreshToken);
      expect(sut.accessToken).toBe(next.accessToken);
    });

    it('signs out when the refresh token was reused', async () => {
      await signIn();
      fake.on('POST /auth/refresh', apiError(401, 'REFRESH_TOKEN_REUSED'));
      fake.on('GET /pairs', apiError(401, 'UNAUTHORIZED'));

      await expect(api.listPairs()).rejects.toMatchObject({ status: 401 });

      expect(sut.status).toBe('anonymous');
      expect(sut.signedOutReason).toBe('reused');
      expect(sut.accessToken).toBeNull();
      expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    });

    it('keeps the session when the refresh fails for a network error', async () => {
      const session = await signIn();
      fake.on('POST /auth/refresh', new TypeError('offline'));

      await expect(sut.refresh()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });

      expect(sut.isAuthenticated).toBe(true);
      expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBe(session.refreshToken);
    });
  });

  describe('restore', () => {
    it('is anonymous without a stored refresh token and asks nothing', async () => {
      await sut.restore();

      expect(sut.status).toBe('anonymous');
      expect(fake.calls).toHaveLength(0);
    });

    it('signs in silently with a stored refresh token', async () => {
      const session = aSession();
      localStorage.setItem(REFRESH_TOKEN_KEY, 'stored-token');
      fake.on('POST /auth/refresh', { status: 200, body: session });

      await Promise.all([sut.restore(), sut.restore()]);

      expect(sut.status).toBe('authenticated');
      expect(sut.user).toEqual(session.user);
      expect(fake.callsTo('POST /auth/refresh')).toHaveLength(1);
    });

    it('drops an expired stored token', async () => {
      localStorage.setItem(REFRESH_TOKEN_KEY, 'stale-token');
      fake.on('POST /auth/refresh', apiError(401, 'REFRESH_TOKEN_INVALID'));

      await sut.restore();

      expect(sut.status).toBe('anonymous');
      expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    });
  });

  describe('logout', () => {
    it('revokes the refresh tokens on the server and forgets the session but not the device', async () => {
      const session = await signIn();
      fake.on('POST /auth/logout', { status: 204 });

      await sut.logout();

      expect(fake.callsTo('POST /auth/logout')[0]?.authorization).toBe(`Bearer ${session.accessToken}`);
      expect(sut.status).toBe('anonymous');
      expect(sut.signedOutReason).toBeNull();
      expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
      expect(sut.hasRememberedDevice(session.user.handle)).toBe(true);
    });

    it('signs out locally even when the server cannot be reached', async () => {
      await signIn();
      fake.on('POST /auth/logout', new TypeError('offline'));

      await sut.logout();

      expect(sut.isAuthenticated).toBe(false);
    });

    it('forgets the device after it was revoked', async () => {
      const session = await signIn();

      sut.endRevoked();

      expect(sut.hasRememberedDevice(session.user.handle)).toBe(false);
      expect(sut.isAuthenticated).toBe(false);
      expect(sut.signedOutReason).toBeNull(); // removed here, by the user: nothing to explain
    });

    it('says why when the device was revoked elsewhere (the chat socket refused it)', async () => {
      const session = await signIn();

      sut.endRevoked('revoked');

      expect(sut.hasRememberedDevice(session.user.handle)).toBe(false);
      expect(sut.signedOutReason).toBe('revoked');
    });
  });
});
