// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { tsEngine } from '@pairchat/crypto';
import { decodeKeysUpload, type KeysUploadRequest, type PreKeyCountResponse, verifyKeysUpload } from '@pairchat/keys';
import { ApiClient } from '@/api/client.js';
import { apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import { DeviceKeys, deviceDatabaseName, type DeviceKeysState } from './device-keys.js';
import { EngineClient } from './engine-client.js';
import { fakeEngineWorker } from './fake-engine-worker.js';
import { createKeyDirectory } from './key-directory.js';

const USER = '9d0652a3-dcc3-4d11-975f-74d61598733f';
let sequence = 0;
const account = () => ({ userId: USER, deviceId: `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}` });

function counts(overrides: Partial<PreKeyCountResponse> = {}): PreKeyCountResponse {
  return {
    ecPreKeys: 100,
    kyberPreKeys: 100,
    protocolDeviceId: 3,
    replenish: false,
    signedPreKeyUploadedAt: '2026-11-25T10:00:00.000Z',
    lastResortKyberPreKeyUploadedAt: '2026-11-25T10:00:00.000Z',
    rotationDue: false,
    ...overrides,
  };
}

/** A body the real api would accept: schema, lengths and every signature. */
async function expectValidUpload(body: unknown): Promise<KeysUploadRequest> {
  const decoded = decodeKeysUpload(body);
  expect(await verifyKeysUpload(decoded, tsEngine.keys)).toEqual([]);
  return body as KeysUploadRequest;
}

function setup() {
  const http = installFakeFetch();
  const engine = new EngineClient(fakeEngineWorker().worker);
  const states: DeviceKeysState[] = [];
  const sut = new DeviceKeys({
    engine,
    directory: createKeyDirectory(new ApiClient()),
    onState: (state) => states.push(state),
  });
  return { http, engine, sut, states };
}

describe(DeviceKeys.name, () => {
  it('creates identity and keys on first login, reports progress, and uploads them with PUT /keys', async () => {
    const { http, engine, sut, states } = setup();
    http.on('PUT /keys', async (call) => {
      const body = await expectValidUpload(call.body);
      expect(body.preKeys).toHaveLength(100);
      expect(body.kyberPreKeys).toHaveLength(100);
      expect(body.registrationId).toBeGreaterThan(0);
      return { status: 200, body: counts({ protocolDeviceId: 2 }) };
    });
    const device = account();

    const result = await sut.ensure(device);

    expect(result).toMatchObject({ phase: 'ready', protocolDeviceId: 2 });
    expect(states[0]).toEqual({ phase: 'checking' });
    const generating = states.filter((s) => s.phase === 'generating');
    expect(generating).toHaveLength(202);
    expect(generating.at(-1)).toEqual({ phase: 'generating', done: 202, total: 202 });
    expect(states.at(-2)).toEqual({ phase: 'uploading' });
    expect(http.callsTo('PUT /keys')).toHaveLength(1);
    const status = await engine.status();
    expect(status).toMatchObject({ database: deviceDatabaseName(device.deviceId), protocolDeviceId: 2 });
    expect(result.phase === 'ready' && result.identityKey).toBe(status.identityKey);
    expect(http.calls.every((call) => !JSON.stringify(call.body ?? '').includes('privateKey'))).toBe(true);
  }, 30_000);

  it('on a later sign-in only checks the count when nothing is due', async () => {
    const { http, sut } = setup();
    http.on('PUT /keys', { status: 200, body: counts() }).on('GET /keys/count', { status: 200, body: counts() });
    const device = account();
    await sut.ensure(device);
    const again = await sut.ensure(device);
    expect(again).toMatchObject({ phase: 'ready', protocolDeviceId: 3 });
    expect(http.callsTo('PUT /keys')).toHaveLength(1);
    expect(http.callsTo('GET /keys/count')).toHaveLength(1);
  }, 30_000);

  it('replenishes one-time prekeys when the directory says so', async () => {
    const { http, sut } = setup();
    http
      .on('PUT /keys', { status: 200, body: counts() })
      .on('GET /keys/count', { status: 200, body: counts({ ecPreKeys: 4, kyberPreKeys: 60, replenish: true }) });
    const device = account();
    await sut.ensure(device);
    http.on('PUT /keys', async (call) => {
      const body = await expectValidUpload(call.body);
      expect(body.preKeys).toHaveLength(96);
      expect(body.kyberPreKeys).toHaveLength(40);
      expect(body.signedPreKey).toBeUndefined();
      return { status: 200, body: counts() };
    });
    expect(await sut.ensure(device)).toMatchObject({ phase: 'ready' });
    expect(http.callsTo('PUT /keys')).toHaveLength(2);
  }, 30_000);

  it('rotates the signed and last-resort keys when the directory says they are due', async () => {
    const { http, sut } = setup();
    http
      .on('PUT /keys', { status: 200, body: counts() })
      .on('GET /keys/count', { status: 200, body: counts({ rotationDue: true }) });
    const device = account();
    await sut.ensure(device);
    const first = http.callsTo('PUT /keys')[0]!.body as KeysUploadRequest;
    await sut.ensure(device);
    const rotation = await expectValidUpload(http.callsTo('PUT /keys')[1]!.body);
    expect(rotation.signedPreKey!.keyId).not.toBe(first.signedPreKey!.keyId);
    expect(rotation.lastResortKyberPreKey!.keyId).not.toBe(first.lastResortKyberPreKey!.keyId);
    expect(rotation.identityKey).toBe(first.identityKey);
    expect(rotation.preKeys).toBeUndefined();
  }, 30_000);

  it('exposes an identity conflict when the account already has another identity, and can reset it', async () => {
    const { http, sut, engine } = setup();
    http.on('PUT /keys', apiError(409, 'IDENTITY_KEY_MISMATCH'));
    http.on('PUT /keys/identity', async (call) => {
      await expectValidUpload(call.body);
      return { status: 200, body: counts({ protocolDeviceId: 5 }) };
    });
    const device = account();

    expect(await sut.ensure(device)).toEqual({ phase: 'identity-conflict' });
    const conflicted = await engine.status();
    expect(conflicted.protocolDeviceId).toBeNull();
    // A reload in this state keeps the local identity and meets the same conflict.
    expect(await sut.ensure(device)).toEqual({ phase: 'identity-conflict' });
    expect((await engine.status()).identityKey).toBe(conflicted.identityKey);

    const reset = await sut.resetIdentity();
    expect(reset).toMatchObject({ phase: 'ready', protocolDeviceId: 5 });
    const sent = http.callsTo('PUT /keys/identity')[0]!.body as KeysUploadRequest;
    expect(sent.identityKey).not.toBe(conflicted.identityKey);
    expect((await engine.status()).identityKey).toBe(sent.identityKey);
  }, 30_000);

  it('uploads again when the directory no longer has this device’s keys', async () => {
    const { http, sut } = setup();
    http.on('PUT /keys', { status: 200, body: counts() }).on('GET /keys/count', apiError(404, 'KEYS_NOT_FOUND'));
    const device = account();
    await sut.ensure(device);
    expect(await sut.ensure(device)).toMatchObject({ phase: 'ready' });
    expect(http.callsTo('PUT /keys')).toHaveLength(2);
    await expectValidUpload(http.callsTo('PUT /keys')[1]!.body);
  }, 30_000);

  it('ends in the error phase when the upload fails, and a retry succeeds', async () => {
    const { http, sut } = setup();
    http.on('PUT /keys', new TypeError('offline')).on('PUT /keys', { status: 200, body: counts() });
    const device = account();
    const failed = await sut.ensure(device);
    expect(failed.phase).toBe('error');
    expect(failed.phase === 'error' && failed.error).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(await sut.ensure(device)).toMatchObject({ phase: 'ready' });
  }, 30_000);

  it('wipe() removes the device database', async () => {
    const { http, sut } = setup();
    http.on('PUT /keys', { status: 200, body: counts() });
    const device = account();
    await sut.ensure(device);
    await sut.wipe();
    expect(sut.state).toEqual({ phase: 'idle' });
    const names = (await indexedDB.databases()).map((db) => db.name);
    expect(names).not.toContain(deviceDatabaseName(device.deviceId));
    await expect(sut.wipe()).rejects.toThrow(/no device to wipe/);
  }, 30_000);

  it('maintain() replenishes and rotates what the directory asks for, staying ready throughout', async () => {
    const { http, sut, states } = setup();
    // Answers in order: first upload, the replenishment (rotation still due), the rotation.
    http
      .on('PUT /keys', { status: 200, body: counts() })
      .on('PUT /keys', { status: 200, body: counts({ rotationDue: true }) })
      .on('PUT /keys', { status: 200, body: counts() })
      .on('GET /keys/count', {
        status: 200,
        body: counts({ ecPreKeys: 4, kyberPreKeys: 60, replenish: true, rotationDue: true }),
      })
      .on('GET /keys/count', { status: 503, body: { code: 'UNAVAILABLE', message: 'down' } });
    await sut.ensure(account());
    const before = states.length;

    expect(await sut.maintain()).toMatchObject({ phase: 'ready' });

    const [, replenish, rotation] = http.callsTo('PUT /keys');
    expect((await expectValidUpload(replenish!.body)).preKeys).toHaveLength(96);
    expect((await expectValidUpload(rotation!.body)).signedPreKey).toBeDefined();
    // No progress or `uploading` phase: the chat keeps running on a ready device.
    expect(states.slice(before).map((s) => s.phase)).toEqual(['ready']);

    await expect(sut.maintain()).rejects.toThrow();
    expect(sut.state.phase).toBe('ready');
  }, 30_000);
});
