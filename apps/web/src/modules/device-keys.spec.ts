import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, nextTick } from 'vue';
import { aSession } from '@/testing/fake-fetch.js';
import { useDeviceKeysStore } from '@/stores/keys.js';
import { useSessionStore } from '@/stores/session.js';
import { install } from './device-keys.js';

describe('device-keys module', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('ensures keys for the signed-in device and stops the worker on sign-out', async () => {
    const keys = useDeviceKeysStore();
    const ensure = vi
      .spyOn(keys, 'ensure')
      .mockResolvedValue({ phase: 'ready', protocolDeviceId: 1, identityKey: 'x' });
    const stop = vi.spyOn(keys, 'stop').mockImplementation(() => undefined);
    const session = useSessionStore();
    install(createApp({}));
    expect(ensure).not.toHaveBeenCalled();

    const signedIn = aSession();
    session.user = signedIn.user;
    session.device = signedIn.device;
    session.status = 'authenticated';
    await nextTick();
    expect(ensure).toHaveBeenCalledWith({ userId: signedIn.user.id, deviceId: signedIn.device.id });

    session.end(null);
    await nextTick();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(ensure).toHaveBeenCalledTimes(1);
  });
});
