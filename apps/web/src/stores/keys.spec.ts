// @vitest-environment node
import 'fake-indexeddb/auto';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watch } from 'vue';
import { ApiClient } from '@/api/client.js';
import { createEngineWorker } from '@/crypto/engine-client.js';
import { fakeEngineWorker } from '@/crypto/fake-engine-worker.js';
import { createKeyDirectory } from '@/crypto/key-directory.js';
import { installFakeFetch } from '@/testing/fake-fetch.js';
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

  afterEach(() => {
    deviceKeysDependencies.createWorker = createEngineWorker;
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
});
