import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { ProtocolAddress, type ProtocolEngine, tsEngine } from '@pairchat/crypto';
import { nativeEngine } from '@pairchat/crypto/native';
import { bundlesFromResponse, KeyManager, type KeyManagerState, type KeysUploadRequest } from '@pairchat/keys';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { inMemoryStores } from '../../../libs/crypto/test/support/memory-stores.js';
import { RotationService } from '../src/rotation/rotation.service.js';
import { keyUpload } from './utils/keys.js';
import { connectSocket, TestSocket } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, TestUser } from './utils/users.js';

const DAY = 86_400_000;

describeE2E('key directory', () => {
  let sut: TestApp;
  let url: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000', KEY_FETCH_BUCKET_SIZE: '1000' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await sut.close();
  });

  const as = (user: TestUser) => ({
    get: (path: string) => request(sut.http).get(path).set('Authorization', user.bearer),
    put: (path: string, body?: unknown) =>
      request(sut.http)
        .put(path)
        .set('Authorization', user.bearer)
        .set('content-type', 'application/json')
        .send(body as object),
    post: (path: string, body?: object) => request(sut.http).post(path).set('Authorization', user.bearer).send(body),
    delete: (path: string) => request(sut.http).delete(path).set('Authorization', user.bearer),
  });
  async function pair(a: TestUser, b: TestUser): Promise<void> {
    const req = (await as(a).post('/pairs/requests', { handle: b.handle }).expect(201)).body.request;
    await as(b).post(`/pairs/requests/${req.id}/accept`).expect(200);
  }
  async function pairedUsers(): Promise<[TestUser, TestUser, IdentityKeyPair]> {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    await pair(alice, bob);
    return [alice, bob, IdentityKeyPair.generate()];
  }
  const count = async (user: TestUser) => (await as(user).get('/keys/count').expect(200)).body;

  describe('upload and fetch', () => {
    for (const keyEngine of [tsEngine, nativeEngine]) {
      it(`hands out ${keyEngine.name}-made keys whose bundles open sessions in both engines`, async () => {
        const [alice, bob] = await pairedUsers();
        const { identityKeyPair, registrationId } = await KeyManager.createIdentity(keyEngine);
        const stores = inMemoryStores(identityKeyPair, registrationId);
        let state: KeyManagerState | null = null;
        const manager = new KeyManager({
          engine: keyEngine,
          stores,
          state: { load: async () => state, save: async (s) => void (state = s) },
          markLastResort: async (id) => void stores.kyberPreKey.lastResort.add(id),
        });
        const counts = (
          await as(alice)
            .put('/keys', await manager.initialUpload())
            .expect(200)
        ).body;
        expect(counts).toMatchObject({
          ecPreKeys: 100,
          kyberPreKeys: 100,
          protocolDeviceId: 1,
          replenish: false,
          rotationDue: false,
        });

        const aliceAddress = new ProtocolAddress(alice.id, 1);
        for (const [i, senderEngine] of ([tsEngine, nativeEngine] as ProtocolEngine[]).entries()) {
          const response = (await as(bob).get(`/keys/${alice.id}`).expect(200)).body;
          const [bundle] = bundlesFromResponse(response);
          expect(response.devices[0]).toMatchObject({ deviceId: alice.deviceId, protocolDeviceId: 1, registrationId });
          const sender = await KeyManager.createIdentity(senderEngine);
          const senderStores = inMemoryStores(sender.identityKeyPair, sender.registrationId);
          const bobAddress = new ProtocolAddress(`${bob.id}-${i}`, 1);
          await senderEngine.processPreKeyBundle(bundle!, aliceAddress, bobAddress, senderStores);
          const message = await senderEngine.encrypt(
            new TextEncoder().encode('hi alice'),
            aliceAddress,
            bobAddress,
            senderStores,
          );
          const plain = await keyEngine.decrypt(message, bobAddress, aliceAddress, stores);
          expect(new TextDecoder().decode(plain)).toBe('hi alice');
        }
        expect(await count(alice)).toMatchObject({ ecPreKeys: 98, kyberPreKeys: 98 });
      });
    }

    it("returns the caller's own other devices (for sync copies), never the calling device", async () => {
      const [alice] = await pairedUsers();
      const identity = IdentityKeyPair.generate();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 2, kyber: 2 }))
        .expect(200);
      const second = await (await import('./utils/users.js')).loginAs(sut, alice.handle, { deviceName: 'Laptop' });
      await as(second)
        .put('/keys', keyUpload(identity, { ec: 2, kyber: 2, registrationId: 77 }))
        .expect(200);
      expect(await count(second)).toMatchObject({ protocolDeviceId: 2 });
      const own = (await as(second).get(`/keys/${alice.id}`).expect(200)).body;
      expect(own.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([alice.deviceId]);
    });
  });

  describe('one-time prekey claims', () => {
    it('never hands out a key twice under 50 concurrent claimers, then falls back to the last resort', async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 30, kyber: 30 }))
        .expect(200);
      const answers = await Promise.all(Array.from({ length: 50 }, () => as(bob).get(`/keys/${alice.id}`)));
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
      const bundles = answers.map((a) => a.body.devices[0]);
      const ec = bundles.filter((b) => b.preKey).map((b) => b.preKey.keyId);
      const kyber = bundles.map((b) => b.kyberPreKey.keyId).filter((id) => id !== 1000);
      expect(new Set(ec).size).toBe(30);
      expect(ec).toHaveLength(30);
      expect(new Set(kyber).size).toBe(30);
      expect(kyber).toHaveLength(30);
      expect(bundles.filter((b) => b.kyberPreKey.keyId === 1000)).toHaveLength(20);
      expect(await count(alice)).toMatchObject({ ecPreKeys: 0, kyberPreKeys: 0, replenish: true });
      const metrics = (await request(sut.http).get('/metrics')).text;
      expect(metrics).toMatch(/pairchat_prekey_last_resort_fallbacks_total \d+/);
      expect(Number(/pairchat_prekey_last_resort_fallbacks_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(20);
    });

    it('claims bundles only for the devices named in deviceIds; the others keep their one-time keys', async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 3, kyber: 3 }))
        .expect(200);
      const laptop = await (await import('./utils/users.js')).loginAs(sut, alice.handle, { deviceName: 'Laptop' });
      await as(laptop)
        .put('/keys', keyUpload(identity, { ec: 3, kyber: 3, registrationId: 77 }))
        .expect(200);

      const only = (await as(bob).get(`/keys/${alice.id}?deviceIds=${laptop.deviceId}`).expect(200)).body;
      expect(only.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([laptop.deviceId]);
      expect(await count(alice)).toMatchObject({ ecPreKeys: 3, kyberPreKeys: 3 });
      expect(await count(laptop)).toMatchObject({ ecPreKeys: 2, kyberPreKeys: 2 });
      const both = (await as(bob).get(`/keys/${alice.id}?deviceIds=${alice.deviceId},${laptop.deviceId}`).expect(200))
        .body;
      expect(both.devices).toHaveLength(2);
      // A device that is gone: an empty answer (not 404: the contact is still there), nothing claimed.
      const gone = (await as(bob).get(`/keys/${alice.id}?deviceIds=00000000-0000-4000-8000-000000000000`).expect(200))
        .body;
      expect(gone).toEqual({ identityKey: only.identityKey, devices: [] });
      expect(await count(laptop)).toMatchObject({ ecPreKeys: 1 });
    });

    it('refuses a malformed deviceIds list and claims nothing', async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 2, kyber: 2 }))
        .expect(200);
      const tooMany = Array.from({ length: 101 }, () => alice.deviceId).join(',');
      for (const bad of ['not-a-uuid', '', `${alice.deviceId},x`, tooMany]) {
        const res = await as(bob).get(`/keys/${alice.id}?deviceIds=${bad}`);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      expect(await count(alice)).toMatchObject({ ecPreKeys: 2, kyberPreKeys: 2 });
    });

    it('claims the oldest one-time key first', async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 2, kyber: 2, firstId: 50 }))
        .expect(200);
      await as(alice)
        .put('/keys', keyUpload(identity, { signedId: false, lastResortId: false, ec: 2, kyber: 2, firstId: 10 }))
        .expect(200);
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push((await as(bob).get(`/keys/${alice.id}`)).body.devices[0].preKey.keyId);
      expect(ids).toEqual([50, 51, 10, 11]);
    });

    it('tells the device over the socket to replenish when it falls below the threshold', async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 11, kyber: 11 }))
        .expect(200);
      const socket = await connectSocket(url, alice.session.accessToken);
      sockets.push(socket);
      await as(bob).get(`/keys/${alice.id}`).expect(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(socket.all('keys:replenish')).toEqual([]);
      await as(bob).get(`/keys/${alice.id}`).expect(200);
      const [signal] = await socket.waitFor('keys:replenish');
      expect(signal).toEqual({ ecPreKeys: 9, kyberPreKeys: 9 });
      expect(await count(alice)).toMatchObject({ replenish: true });
      await as(alice)
        .put('/keys', keyUpload(identity, { signedId: false, lastResortId: false, ec: 91, kyber: 91, firstId: 100 }))
        .expect(200);
      expect(await count(alice)).toMatchObject({ ecPreKeys: 100, kyberPreKeys: 100, replenish: false });
    });
  });

  describe('rotation', () => {
    it('replaces the signed and last-resort keys, keeps the old ones through the grace period, then purges them', async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { signedId: 1, lastResortId: 1000 }))
        .expect(200);
      await as(alice)
        .put('/keys', keyUpload(identity, { signedId: 2, lastResortId: 1001 }))
        .expect(200);
      const bundle = (await as(bob).get(`/keys/${alice.id}`).expect(200)).body.devices[0];
      expect(bundle.signedPreKey.keyId).toBe(2);
      expect(bundle.kyberPreKey.keyId).toBe(1001);
      const db = sut.app.get(DataSource);
      const rows = async () =>
        Number((await db.query(`SELECT COUNT(*) AS n FROM signed_prekeys WHERE device_id = '${alice.deviceId}'`))[0].n);
      expect(await rows()).toBe(2);
      const rotation = sut.app.get(RotationService);
      await rotation.sweep(new Date(Date.now() + 29 * DAY));
      expect(await rows()).toBe(2);
      await rotation.sweep(new Date(Date.now() + 31 * DAY));
      expect(await rows()).toBe(1);
    });

    it('reminds a connected device to rotate when its keys are due, and calls them stale after 14 days', async () => {
      const [alice, , identity] = await pairedUsers();
      await as(alice).put('/keys', keyUpload(identity)).expect(200);
      const socket = await connectSocket(url, alice.session.accessToken);
      sockets.push(socket);
      const rotation = sut.app.get(RotationService);
      await rotation.sweep(new Date(Date.now() + DAY));
      await rotation.sweep(new Date(Date.now() + 2 * DAY + 1000));
      await rotation.sweep(new Date(Date.now() + 15 * DAY));
      const reminders = await socket.waitFor('keys:rotate', 2);
      expect(reminders.map((r) => r.reason)).toEqual(['due', 'stale']);
    });
  });

  describe('access', () => {
    it('answers 404 for an unpaired, a blocked, an unknown and a keyless user alike', async () => {
      const [alice, bob, identity] = await pairedUsers();
      const carol = await createUser(sut, 'carol');
      await as(alice).put('/keys', keyUpload(identity)).expect(200);
      expect((await as(carol).get(`/keys/${alice.id}`).expect(404)).body.code).toBe('KEYS_NOT_FOUND');
      await as(bob).get(`/keys/00000000-0000-4000-8000-000000000000`).expect(404);
      await as(alice).get(`/keys/${bob.id}`).expect(404);
      await as(alice).post('/blocks', { userId: bob.id }).expect(204);
      await as(bob).get(`/keys/${alice.id}`).expect(404);
      await as(bob).get('/keys/not-a-uuid').expect(400);
      await request(sut.http).get(`/keys/${alice.id}`).expect(401);
    });

    it("drops a revoked device's keys at once", async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 3 }))
        .expect(200);
      const other = await (await import('./utils/users.js')).loginAs(sut, alice.handle, { deviceName: 'Phone' });
      await as(other).delete(`/devices/${alice.deviceId}`).expect(204);
      await as(bob).get(`/keys/${alice.id}`).expect(404);
      const db = sut.app.get(DataSource);
      const [left] = await db.query(`SELECT COUNT(*) AS n FROM ec_prekeys WHERE device_id = '${alice.deviceId}'`);
      expect(Number(left.n)).toBe(0);
    });
  });

  describe('device lookup (GET /keys/:userId/devices)', () => {
    it('lists the protocol addresses of every device with keys and claims no prekey', async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 2, kyber: 2, registrationId: 11 }))
        .expect(200);
      const laptop = await (await import('./utils/users.js')).loginAs(sut, alice.handle, { deviceName: 'Laptop' });
      await as(laptop)
        .put('/keys', keyUpload(identity, { ec: 2, kyber: 2, registrationId: 22 }))
        .expect(200);
      // A device without keys cannot send: it is not listed.
      await (await import('./utils/users.js')).loginAs(sut, alice.handle, { deviceName: 'Tablet' });

      const listed = (await as(bob).get(`/keys/${alice.id}/devices`).expect(200)).body;
      expect(listed).toEqual({
        devices: [
          { deviceId: alice.deviceId, protocolDeviceId: 1, registrationId: 11 },
          { deviceId: laptop.deviceId, protocolDeviceId: 2, registrationId: 22 },
        ],
      });
      await as(bob).get(`/keys/${alice.id}/devices`).expect(200);
      expect(await count(alice)).toMatchObject({ ecPreKeys: 2, kyberPreKeys: 2 });
      // The caller's own account: every device, the calling one included.
      const own = (await as(laptop).get(`/keys/${alice.id}/devices`).expect(200)).body;
      expect(own.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([alice.deviceId, laptop.deviceId]);
    });

    it('answers 404 for an unpaired, a blocked and an unknown user, and drops revoked devices', async () => {
      const [alice, bob, identity] = await pairedUsers();
      const carol = await createUser(sut, 'carol');
      await as(alice).put('/keys', keyUpload(identity)).expect(200);
      expect((await as(carol).get(`/keys/${alice.id}/devices`).expect(404)).body.code).toBe('KEYS_NOT_FOUND');
      await as(bob).get('/keys/00000000-0000-4000-8000-000000000000/devices').expect(404);
      await as(bob).get('/keys/not-a-uuid/devices').expect(400);
      await request(sut.http).get(`/keys/${alice.id}/devices`).expect(401);

      const other = await (await import('./utils/users.js')).loginAs(sut, alice.handle, { deviceName: 'Phone' });
      await as(other).delete(`/devices/${alice.deviceId}`).expect(204);
      expect((await as(bob).get(`/keys/${alice.id}/devices`).expect(200)).body).toEqual({ devices: [] });

      await as(alice).post('/blocks', { userId: bob.id }).expect(401); // alice's device is revoked
      await as(other).post('/blocks', { userId: bob.id }).expect(204);
      await as(bob).get(`/keys/${alice.id}/devices`).expect(404);
    });
  });

  describe('bad input (nothing stored)', () => {
    let alice: TestUser;
    let identity: IdentityKeyPair;
    let valid: KeysUploadRequest;
    beforeAll(async () => {
      [alice, , identity] = await pairedUsers();
      valid = keyUpload(identity, { ec: 2, kyber: 2 });
    });
    const rejects = async (body: unknown, status: number, code: string, field?: RegExp) => {
      const res = await as(alice).put('/keys', body).expect(status);
      expect(res.body.code).toBe(code);
      if (field) expect(res.body.message).toMatch(field);
      await as(alice).get('/keys/count').expect(404);
    };

    it('names the bad field', async () => {
      const other = IdentityKeyPair.generate();
      const forged = keyUpload(other, { ec: 1, kyber: 1 });
      await rejects({ ...valid, extra: true }, 400, 'INVALID_KEYS', /extra/);
      await rejects({ ...valid, preKeys: 'nope' }, 400, 'INVALID_KEYS', /^preKeys: /);
      await rejects(
        { ...valid, identityKey: 'not base64!' },
        400,
        'INVALID_KEYS',
        /identityKey: must be standard base64/,
      );
      await rejects(
        { ...valid, identityKey: Buffer.alloc(33, 8).toString('base64') },
        400,
        'INVALID_KEYS',
        /identityKey: expected key type 0x05/,
      );
      await rejects(
        { ...valid, preKeys: [{ keyId: 1, publicKey: Buffer.alloc(32, 5).toString('base64') }] },
        400,
        'INVALID_KEYS',
        /preKeys\[0\]\.publicKey: expected 33 bytes/,
      );
      await rejects(
        { ...valid, preKeys: [valid.preKeys![0], valid.preKeys![0]] },
        400,
        'INVALID_KEYS',
        /preKeys\[1\]\.keyId: duplicate id/,
      );
      await rejects(
        { ...valid, kyberPreKeys: [forged.kyberPreKeys![0]] },
        400,
        'INVALID_KEYS',
        /kyberPreKeys\[0\]\.signature: signature does not verify/,
      );
      await rejects({ ...valid, signedPreKey: forged.signedPreKey }, 400, 'INVALID_KEYS', /signedPreKey\.signature/);
      await rejects(
        { ...valid, signedPreKey: undefined },
        400,
        'INVALID_KEYS',
        /signedPreKey: required in the first upload/,
      );
      await rejects({ ...valid, registrationId: undefined }, 400, 'REGISTRATION_ID_MISSING');
      await rejects({ ...valid, registrationId: 0 }, 400, 'INVALID_KEYS', /registrationId/);
    });

    it('refuses an oversize batch, malformed JSON and an oversize body', async () => {
      const many = keyUpload(identity, { ec: 101 });
      await rejects({ ...valid, preKeys: many.preKeys }, 400, 'INVALID_KEYS', /preKeys: /);
      const res = await request(sut.http)
        .put('/keys')
        .set('Authorization', alice.bearer)
        .set('content-type', 'application/json')
        .send('{"identityKey":');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('MALFORMED_JSON');
      const huge = keyUpload(identity, { kyber: 100 });
      const tooBig = await as(alice).put('/keys', {
        ...huge,
        kyberPreKeys: [...huge.kyberPreKeys!, ...huge.kyberPreKeys!],
      });
      expect([400, 413]).toContain(tooBig.status);
      await as(alice).get('/keys/count').expect(404);
    });

    it('refuses a different identity key and reused ids once keys are stored', async () => {
      await as(alice).put('/keys', valid).expect(200);
      const before = await count(alice);
      const other = keyUpload(IdentityKeyPair.generate(), { ec: 1 });
      expect((await as(alice).put('/keys', other).expect(409)).body.code).toBe('IDENTITY_KEY_MISMATCH');
      const reuse = keyUpload(identity, {
        signedId: false,
        lastResortId: false,
        ec: 1,
        firstId: valid.preKeys![1]!.keyId,
      });
      const res = await as(alice).put('/keys', reuse).expect(400);
      expect(res.body.message).toMatch(/preKeys\[0\]\.keyId: id \d+ is already stored/);
      expect(await count(alice)).toEqual(before);
    });
  });

  describe('identity reset', () => {
    it("replaces the account identity and drops every device's old keys", async () => {
      const [alice, bob, identity] = await pairedUsers();
      await as(alice)
        .put('/keys', keyUpload(identity, { ec: 5 }))
        .expect(200);
      const fresh = IdentityKeyPair.generate();
      await as(alice)
        .put('/keys/identity', keyUpload(fresh, { signedId: 9, lastResortId: 2000, ec: 1, firstId: 900 }))
        .expect(200);
      const bundle = (await as(bob).get(`/keys/${alice.id}`).expect(200)).body;
      expect(bundle.identityKey).toBe(Buffer.from(fresh.publicKey.serialize()).toString('base64'));
      expect(bundle.devices[0].preKey.keyId).toBe(900);
      expect(await count(alice)).toMatchObject({ ecPreKeys: 0, protocolDeviceId: 1 });
    });
  });

  describe('fetch rate limit', () => {
    it('allows a burst of 6 fetches per requesting account and target device, then answers 429', async () => {
      const limited = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000' });
      try {
        const [a, b] = [await createUser(limited, 'alice'), await createUser(limited, 'bob')];
        const req = (
          await request(limited.http).post('/pairs/requests').set('Authorization', a.bearer).send({ handle: b.handle })
        ).body.request;
        await request(limited.http).post(`/pairs/requests/${req.id}/accept`).set('Authorization', b.bearer).expect(200);
        await request(limited.http)
          .put('/keys')
          .set('Authorization', a.bearer)
          .send(keyUpload(IdentityKeyPair.generate(), { ec: 10 }))
          .expect(200);
        for (let i = 0; i < 6; i++)
          await request(limited.http).get(`/keys/${a.id}`).set('Authorization', b.bearer).expect(200);
        const res = await request(limited.http).get(`/keys/${a.id}`).set('Authorization', b.bearer).expect(429);
        expect(res.body).toMatchObject({
          code: 'KEY_FETCH_RATE_LIMITED',
          details: { retryAfterSeconds: expect.any(Number) },
        });
        expect(res.body.details.retryAfterSeconds).toBeGreaterThan(500);
      } finally {
        await limited.close();
      }
    });
  });
});
