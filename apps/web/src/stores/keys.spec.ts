// @vitest-environment node
import 'fake-indexeddb/auto';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watch } from 'vue';
import { ApiClient } from '@/api/client.js';
import { fakeEngineWorker } from '@/crypto/fake-engine-worker.js';
import type { DeviceLinkApi } from '@/crypto/device-link-api.js';
import { EngineClient, createEngineWorker as realWorker } from '@/crypto/engine-client.js';
import { createKeyDirectory } from '@/crypto/key-directory.js';
import { apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import { deviceKeysDependencies, useDeviceKeysStore } from './keys.js';

const account = { userId: '9d0652a3-dcc3-4d11-975f-74d61598733f', deviceId: '00000000-0000-4000-8000-00000000a001' };
const counts = {
  ecPreKeys: 100,
  kyberPreKeys: 100,
  protocolDeviceId: 1,
  replenish: false,
  signedPreKeyUploadedAt: '2026-11-25T10:00:00.000Z',
  lastResortKyberPreKeyUploadedAt: '2026-11-25T10:00:00.000Z',
  rotationDue: false,
};

describe('useDeviceKeysStore', () => {
  const workers: ReturnType<typeof fakeEngineWorker>[] = [];

  beforeEach(() => {
    setActivePinia(createPinia());
    deviceKeysDependencies.createWorker = () => {
      const fake = fakeEngineWorker();
      workers.push(fake);
      return fake.worker;
    };
    deviceKeysDependencies.directory = () => createKeyDirectory(new ApiClient());
  });

  const linkDefaults = { ...deviceKeysDependencies };
  afterEach(() => {
    Object.assign(deviceKeysDependencies, linkDefaults);
    deviceKeysDependencies.createWorker = realWorker;
  });

  it('drives the progress indicator while keys are made, then is ready', async () => {
    installFakeFetch().on('PUT /keys', { status: 200, body: counts });
    const sut = useDeviceKeysStore();
    const seen: (number | null)[] = [];
    watch(
      () => sut.progress,
      (value) => seen.push(value),
      { flush: 'sync' },
    );

    await sut.ensure(account);

    expect(sut.phase).toBe('ready');
    expect(sut.isReady).toBe(true);
    expect(sut.protocolDeviceId).toBe(1);
    const fractions = seen.filter((v): v is number => v !== null);
    expect(fractions.length).toBeGreaterThan(100);
    expect(fractions.every((v, i) => v > 0 && v <= 1 && (i === 0 || v >= fractions[i - 1]!))).toBe(true);
    expect(fractions.at(-1)).toBe(1);
    expect(sut.progress).toBeNull();
    expect((await sut.engine().status()).protocolDeviceId).toBe(1);
  }, 30_000);

  it('stop() terminates the worker and keeps the keys; wipe() deletes them', async () => {
    installFakeFetch()
      .on('PUT /keys', { status: 200, body: counts })
      .on('GET /keys/count', { status: 200, body: counts });
    const sut = useDeviceKeysStore();
    await sut.ensure(account);
    sut.stop();
    expect(workers.at(-1)!.terminated).toBe(true);
    expect(sut.phase).toBe('idle');

    await sut.ensure(account); // a new worker finds the keys: no second upload
    expect(sut.phase).toBe('ready');
    await sut.wipe(account);
    expect(sut.phase).toBe('idle');
    expect((await indexedDB.databases()).map((db) => db.name)).not.toContain(`pairchat-device-${account.deviceId}`);
  }, 30_000);

  it('ignores late states of a run that stop() cut short', async () => {
    installFakeFetch().on('PUT /keys', { status: 200, body: counts });
    const sut = useDeviceKeysStore();
    const running = sut.ensure(account);
    sut.stop();
    expect(await running).toMatchObject({ phase: 'error' });
    expect(sut.phase).toBe('idle');
  });
  it('links this device: shows a code, wakes on device:link-completed, imports and publishes its keys', async () => {
    const sender = new EngineClient(fakeEngineWorker().worker);
    await sender.open('pairchat-device-existing', account.userId);
    const accountIdentity = (await sender.createIdentity()).identityKey;
    installFakeFetch().on('PUT /keys', (call) =>
      (call.body as { identityKey: string }).identityKey === accountIdentity
        ? { status: 200, body: { ...counts, protocolDeviceId: 2 } }
        : apiError(409, 'IDENTITY_KEY_MISMATCH'),
    );
    const stored: { sealed: Parameters<DeviceLinkApi['complete']>[1] | null; removed: boolean } = {
      sealed: null,
      removed: false,
    };
    const linkId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const link = () => ({
      linkId,
      deviceId: account.deviceId,
      deviceName: 'Phone',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      status: stored.sealed ? ('completed' as const) : ('pending' as const),
      sealed: stored.sealed && { ...stored.sealed, completedAt: new Date().toISOString() },
    });
    let gets = 0;
    deviceKeysDependencies.linkApi = () => ({
      create: async () => ({
        linkId,
        linkToken: 'ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM',
        expiresAt: link().expiresAt,
      }),
      get: async () => (gets++, link()),
      complete: async (_id, body) => ((stored.sealed = body), { ...link(), sealed: null }),
      remove: async () => void (stored.removed = true),
    });
    let notify: ((id: string) => void) | null = null;
    deviceKeysDependencies.linkEvents = (onCompleted) => {
      notify = onCompleted;
      return () => (notify = null);
    };
    deviceKeysDependencies.linkPollMs = 60_000; // only the event can make it in time
    const sut = useDeviceKeysStore();

    expect(await sut.ensure(account)).toEqual({ phase: 'identity-conflict' });
    const linking = sut.startLink();
    await vi.waitFor(() => expect(sut.link.phase).toBe('waiting'));
    const code = sut.link.phase === 'waiting' ? sut.link.code : '';
    const sealed = await sender.sealIdentityForLink(code);
    await deviceKeysDependencies.linkApi().complete(linkId, sealed.body);
    expect(gets).toBe(1);
    notify!(linkId);
    await linking;

    expect(sut.link).toEqual({ phase: 'linked', confirmation: sealed.confirmation });
    expect(sut.state).toMatchObject({ phase: 'ready', protocolDeviceId: 2, identityKey: accountIdentity });
    expect(stored.removed).toBe(true);
    expect(notify).toBeNull();
  }, 60_000);
});
