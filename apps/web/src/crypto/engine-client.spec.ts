// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fromBase64, ProtocolError, type PreKeyBundle } from '@pairchat/crypto';
import type { KeysUploadRequest } from '@pairchat/keys';
import { EngineClient, EngineError, EngineUnavailableError } from './engine-client.js';
import { isEngineRequest } from './engine-protocol.js';
import { fakeEngineWorker } from './fake-engine-worker.js';

const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
let sequence = 0;
const database = () => `engine-client-test-${Date.now()}-${++sequence}`;

function bundleOf(upload: KeysUploadRequest, registrationId: number, deviceId: number): PreKeyBundle {
  const preKey = upload.preKeys![0]!;
  const kyber = upload.kyberPreKeys![0]!;
  return {
    registrationId,
    deviceId,
    preKeyId: preKey.keyId,
    preKey: fromBase64(preKey.publicKey),
    signedPreKeyId: upload.signedPreKey!.keyId,
    signedPreKey: fromBase64(upload.signedPreKey!.publicKey),
    signedPreKeySignature: fromBase64(upload.signedPreKey!.signature),
    identityKey: fromBase64(upload.identityKey),
    kyberPreKeyId: kyber.keyId,
    kyberPreKey: fromBase64(kyber.publicKey),
    kyberPreKeySignature: fromBase64(kyber.signature),
  };
}

async function device(userId: string, protocolDeviceId = 1) {
  const fake = fakeEngineWorker();
  const sut = new EngineClient(fake.worker);
  await sut.open(database(), userId);
  const status = await sut.createIdentity();
  const upload = await sut.initialUpload();
  await sut.setProtocolDeviceId(protocolDeviceId);
  return {
    sut,
    fake,
    upload,
    registrationId: status.registrationId!,
    address: { name: userId, deviceId: protocolDeviceId },
  };
}

describe(EngineClient.name, () => {
  it('opens an empty store, creates an identity and generates the first upload with progress', async () => {
    const sut = new EngineClient(fakeEngineWorker().worker);
    const name = database();
    const empty = await sut.open(name, ALICE);
    expect(empty).toEqual({
      database: name,
      hasIdentity: false,
      identityKey: null,
      registrationId: null,
      hasPreKeys: false,
      protocolDeviceId: null,
    });

    const created = await sut.createIdentity();
    expect(created.hasIdentity).toBe(true);
    expect(fromBase64(created.identityKey!)).toHaveLength(33);
    expect(created.registrationId).toBeGreaterThanOrEqual(1);

    const progress: [number, number][] = [];
    const upload = await sut.initialUpload((done, total) => progress.push([done, total]));
    expect(upload.identityKey).toBe(created.identityKey);
    expect(upload.registrationId).toBe(created.registrationId);
    expect(upload.preKeys).toHaveLength(100);
    expect(upload.kyberPreKeys).toHaveLength(100);
    expect(progress).toHaveLength(202);
    expect(progress.at(-1)).toEqual([202, 202]);
    expect(progress.every(([done], i) => done === i + 1)).toBe(true);

    const after = await sut.setProtocolDeviceId(2);
    expect(after).toMatchObject({ hasPreKeys: true, protocolDeviceId: 2 });
    await expect(sut.createIdentity()).rejects.toThrow(/already has an identity/);
  }, 60_000);

  it('encrypts and decrypts between two worker-backed devices and agrees on the safety number', async () => {
    const alice = await device(ALICE);
    const bob = await device(BOB);

    await alice.sut.processPreKeyBundle(bundleOf(bob.upload, bob.registrationId, 1), bob.address);
    expect(await alice.sut.hasSession(bob.address)).toBe(true);
    const plaintext = new TextEncoder().encode('see you at eight');
    const message = await alice.sut.encrypt(plaintext, bob.address);
    expect(message.type).toBe(3); // PreKey message
    expect(await bob.sut.decrypt(message, alice.address)).toEqual(plaintext);

    const reply = await bob.sut.encrypt(new TextEncoder().encode('deal'), alice.address);
    expect(reply.type).toBe(2);
    expect(new TextDecoder().decode(await alice.sut.decrypt(reply, bob.address))).toBe('deal');

    // A replay is a protocol outcome: it comes back as a ProtocolError with libsignal's code.
    const replay = await alice.sut.decrypt(reply, bob.address).catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(ProtocolError);
    expect(replay).toMatchObject({ code: 'DuplicatedMessage' });

    const aliceView = await alice.sut.safetyNumber(BOB);
    const bobView = await bob.sut.safetyNumber(ALICE);
    expect(aliceView.displayable).toMatch(/^\d{60}$/);
    expect(aliceView.displayable).toBe(bobView.displayable);
    expect(aliceView.verified).toBe(false);
    expect(await alice.sut.compareScanned(BOB, bobView.scannable)).toBe(true);
    expect(await alice.sut.compareScanned(BOB, aliceView.scannable)).toBe(false);

    expect((await alice.sut.setVerified(BOB, true)).verified).toBe(true);
    expect((await alice.sut.safetyNumber(BOB)).verified).toBe(true);
    expect((await alice.sut.setVerified(BOB, false)).verified).toBe(false);
  }, 60_000);

  it('reports an unknown contact and an unopened store as clear errors', async () => {
    const sut = new EngineClient(fakeEngineWorker().worker);
    const notOpen = await sut.status().catch((error: unknown) => error);
    expect(notOpen).toBeInstanceOf(EngineError);
    expect(notOpen).toMatchObject({ message: 'the crypto store is not open' });
    await expect(sut.open(database(), 'not-a-uuid')).rejects.toMatchObject({ name: 'TypeError' });

    await sut.open(database(), ALICE);
    await sut.createIdentity();
    await expect(sut.safetyNumber(BOB)).rejects.toThrow(/no identity key known/);
    await expect(sut.encrypt(Uint8Array.of(1), { name: BOB, deviceId: 1 })).rejects.toThrow(/no protocol device id/);
    await sut.setProtocolDeviceId(1);
    const noSession = await sut.encrypt(Uint8Array.of(1), { name: BOB, deviceId: 1 }).catch((error: unknown) => error);
    expect(noSession).toMatchObject({ name: 'ProtocolError', code: 'SessionNotFound' });
    await expect(sut.setProtocolDeviceId(200)).rejects.toMatchObject({ code: 'InvalidProtocolAddress' });
  });

  it('runs calls one at a time in the order they were made', async () => {
    const fake = fakeEngineWorker();
    const sut = new EngineClient(fake.worker);
    await sut.open(database(), ALICE);
    const order: string[] = [];
    await Promise.all([
      sut.createIdentity().then(() => order.push('identity')),
      sut.status().then((s) => order.push(`status:${s.hasIdentity}`)),
      sut.rotationUpload().catch(() => order.push('rotation refused before any upload')),
    ]);
    expect(order).toEqual(['identity', 'status:true', 'rotation refused before any upload']);
    expect(fake.sent.map((request) => request.op)).toEqual(['open', 'createIdentity', 'status', 'rotationUpload']);
    expect(fake.sent.every(isEngineRequest)).toBe(true);
  });

  it('wipe() deletes the store: reopening the same database starts without keys', async () => {
    const name = database();
    const sut = new EngineClient(fakeEngineWorker().worker);
    await sut.open(name, ALICE);
    await sut.createIdentity();
    await sut.wipe();
    await expect(sut.status()).rejects.toThrow(/not open/);
    expect((await sut.open(name, ALICE)).hasIdentity).toBe(false);
  });

  it('refuses to open a store that belongs to another account', async () => {
    const name = database();
    const sut = new EngineClient(fakeEngineWorker().worker);
    await sut.open(name, ALICE);
    await sut.createIdentity();
    await sut.setProtocolDeviceId(1);
    await expect(sut.open(name, BOB)).rejects.toThrow(/another account/);
  });

  it('answers a malformed request with an error and ignores junk from the worker', async () => {
    const fake = fakeEngineWorker();
    const sut = new EngineClient(fake.worker);
    const answers: unknown[] = [];
    fake.worker.addEventListener('message', (event) => answers.push(event.data));
    fake.worker.postMessage({ id: 99, op: 'exportPrivateKeys', args: [] } as never);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(answers).toEqual([{ id: 99, type: 'error', error: { name: 'TypeError', message: 'malformed request' } }]);

    fake.deliver({ id: 'x', type: 'result' });
    fake.deliver(null);
    await sut.open(database(), ALICE); // still works
  });

  it('rejects pending and later calls once the worker crashed or was terminated', async () => {
    const crashed = fakeEngineWorker();
    const sut = new EngineClient(crashed.worker);
    const pending = sut.open(database(), ALICE);
    crashed.crash();
    await expect(pending).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(sut.status()).rejects.toBeInstanceOf(EngineUnavailableError);

    const stopped = fakeEngineWorker();
    const other = new EngineClient(stopped.worker);
    const inFlight = other.open(database(), ALICE);
    other.terminate();
    expect(stopped.terminated).toBe(true);
    await expect(inFlight).rejects.toThrow(/stopped/);
  });
});
