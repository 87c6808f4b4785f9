import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { aSession, apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import { useDeviceKeysStore } from '@/stores/keys.js';
import { useSessionStore } from '@/stores/session.js';
import { useSignOut } from './useSignOut.js';

describe('useSignOut', () => {
  let fake: ReturnType<typeof installFakeFetch>;
  const signedIn = aSession();

  beforeEach(async () => {
    localStorage.clear();
    fake = installFakeFetch().on('POST /auth/login', { status: 200, body: signedIn });
    setActivePinia(createPinia());
    await useSessionStore().login({ handle: signedIn.user.handle, password: 'correct horse battery' });
  });

  it('keeps the device: signs out and leaves the keys alone', async () => {
    fake.on('POST /auth/logout', { status: 204 });
    const wipe = vi.spyOn(useDeviceKeysStore(), 'wipe');
    const sut = useSignOut();
    await sut.keepDevice();
    expect(useSessionStore().isAuthenticated).toBe(false);
    expect(wipe).not.toHaveBeenCalled();
    expect(fake.callsTo(`DELETE /devices/${signedIn.device.id}`)).toHaveLength(0);
  });

  it('removes the device: revokes it on the api, then wipes its keys', async () => {
    fake.on(`DELETE /devices/${signedIn.device.id}`, { status: 204 });
    const order: string[] = [];
    const keys = useDeviceKeysStore();
    const wipe = vi.spyOn(keys, 'wipe').mockImplementation(async () => {
      order.push(`wipe after ${fake.calls.at(-1)!.method}`);
    });
    const sut = useSignOut();
    expect(await sut.removeDevice()).toBe(true);
    expect(wipe).toHaveBeenCalledWith({ userId: signedIn.user.id, deviceId: signedIn.device.id });
    expect(order).toEqual(['wipe after DELETE']);
    expect(useSessionStore().isAuthenticated).toBe(false);
  });

  it('wipes nothing when the api cannot revoke the device', async () => {
    fake.on(`DELETE /devices/${signedIn.device.id}`, apiError(503, 'SERVICE_UNAVAILABLE'));
    const wipe = vi.spyOn(useDeviceKeysStore(), 'wipe');
    const sut = useSignOut();
    expect(await sut.removeDevice()).toBe(false);
    expect(wipe).not.toHaveBeenCalled();
    expect(sut.error.value).toBe('Pairchat is busy or under maintenance. Please try again shortly.');
    expect(useSessionStore().isAuthenticated).toBe(true);
  });
});
