import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromBase64, IdentityKeyPair as TsIdentityKeyPair, PrivateKey, toBase64 } from '@pairchat/crypto';
import type { DeviceLinkCreatedDto, DeviceLinkDto } from '@pairchat/messaging';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DeviceLinkEntity } from '../src/devices/device-link.entity.js';
import { DEVICE_LINK_RETENTION_MS, DeviceLinksService } from '../src/devices/device-links.service.js';
import { parseDeviceLinkCode } from '../../web/src/crypto/device-link-code.js';
import { openIdentity, sealIdentity } from '../../web/src/crypto/device-link.js';
import { keyUpload } from './utils/keys.js';
import { REDIS_URL, serviceAvailable } from './utils/services.js';
import { connectSocket, type TestSocket } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { testDialect } from './utils/test-db.js';
import { createUser, loginAs, type TestUser } from './utils/users.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

describeE2E('device links', () => {
  let sut: TestApp;
  let db: DataSource;
  let url: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
    db = sut.app.get(DataSource);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await sut.close();
  });

  const as = (user: TestUser) => ({
    get: (path: string) => request(sut.http).get(path).set('Authorization', user.bearer),
    post: (path: string, body?: object) => request(sut.http).post(path).set('Authorization', user.bearer).send(body),
    put: (path: string, body?: object) => request(sut.http).put(path).set('Authorization', user.bearer).send(body),
    delete: (path: string) => request(sut.http).delete(path).set('Authorization', user.bearer),
  });
  const q = (name: string) => (db.options.type === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const linkRow = async (id: string) =>
    ((await db.query(`SELECT * FROM ${q('device_links')} WHERE ${q('id')} = ?`, [id])) as Record<string, unknown>[])[0];

  /** An account whose first device published keys, and a second device signed in without them. */
  async function accountWithNewDevice() {
    const laptop = await createUser(sut, 'link', { deviceName: 'Laptop' });
    const identity = IdentityKeyPair.generate();
    await as(laptop).put('/keys', keyUpload(identity)).expect(200);
    const phone = await loginAs(sut, laptop.handle, { deviceName: 'Phone' });
    return { laptop, phone, identity };
  }

  /** The new device's step: a link, then an ephemeral key and a code secret that only the code carries. */
  async function openLink(device: TestUser) {
    const res = await as(device).post('/devices/links').expect(201);
    const created = res.body as DeviceLinkCreatedDto;
    const ephemeral = await PrivateKey.generateAsync();
    const codeSecret = randomBytes(32);
    const publicKey = ephemeral.getPublicKey().getPublicKeyBytes();
    const code = `${created.linkId}.${created.linkToken}.${b64url(publicKey)}.${b64url(codeSecret)}`;
    return { ...created, ephemeral, publicKey, codeSecret, code };
  }

  /** The existing device's step, with the web client's own sealing code. */
  async function seal(code: string, identity: IdentityKeyPair, accountId: string) {
    const sealed = await sealIdentity({
      code: parseDeviceLinkCode(code),
      identityKeyPair: identity.serialize(),
      accountId,
    });
    const body = {
      linkToken: parseDeviceLinkCode(code).linkToken,
      ephemeralPublicKey: b64(sealed.ephemeralPublicKey),
      ciphertext: b64(sealed.ciphertext),
      iv: b64(sealed.iv),
    };
    return { body, confirmation: sealed.confirmation };
  }

  it('keeps the new device key out of the table, and binary columns at their migrated widths', async () => {
    const columns: { name: string; type: string }[] =
      db.options.type === 'mysql'
        ? await db.query(
            `SELECT column_name AS name, column_type AS type FROM information_schema.columns
             WHERE table_schema = DATABASE() AND table_name = 'device_links'`,
          )
        : await db.query(`SELECT name, type FROM pragma_table_info('device_links')`);
    const types = Object.fromEntries(columns.map((c) => [c.name, c.type.toLowerCase()]));
    expect(types).not.toHaveProperty('ephemeral_public_key');
    const binary =
      db.options.type === 'mysql' ? ['varbinary(32)', 'varbinary(1024)', 'varbinary(12)'] : ['blob', 'blob', 'blob'];
    expect([types.sealer_public_key, types.ciphertext, types.iv]).toEqual(binary);
  });

  it('creates the table and its indexes', async () => {
    const indexes: { name: string }[] =
      db.options.type === 'mysql'
        ? await db.query(
            `SELECT DISTINCT index_name AS name FROM information_schema.statistics
             WHERE table_schema = DATABASE() AND table_name = 'device_links'`,
          )
        : await db.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'device_links'`);
    expect(indexes.map((i) => i.name)).toEqual(
      expect.arrayContaining(['idx_device_links_user', 'uq_device_links_device', 'idx_device_links_expires']),
    );
  });

  describe('the whole flow', () => {
    it('links a second device: it receives the account identity and publishes its own prekeys', async () => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      // The phone made its own identity first: the directory refuses it (identity conflict).
      await as(phone)
        .put('/keys', keyUpload(IdentityKeyPair.generate(), { registrationId: 77 }))
        .expect(409);

      const socket = await connectSocket(url, phone.session.accessToken);
      sockets.push(socket);
      const link = await openLink(phone);
      expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);

      const shown = await as(laptop).get(`/devices/links/${link.linkId}`).expect(200);
      expect(shown.body).toMatchObject({
        linkId: link.linkId,
        deviceId: phone.deviceId,
        deviceName: 'Phone',
        status: 'pending',
        sealed: null,
      });

      const { body, confirmation } = await seal(link.code, identity, laptop.id);
      const done = await as(laptop).post(`/devices/links/${link.linkId}/complete`, body).expect(200);
      expect(done.body).toMatchObject({ status: 'completed', sealed: null });
      expect(await socket.waitFor('device:link-completed')).toEqual([{ linkId: link.linkId }]);
      expect((await as(laptop).get(`/devices/links/${link.linkId}`).expect(200)).body.sealed).toBeNull();

      const fetched = (await as(phone).get(`/devices/links/${link.linkId}`).expect(200)).body as DeviceLinkDto;
      expect(fetched.status).toBe('completed');
      const opened = await openIdentity({
        linkId: link.linkId,
        ephemeralPrivateKey: link.ephemeral,
        codeSecret: link.codeSecret,
        accountId: phone.id,
        sealed: {
          ephemeralPublicKey: fromBase64(fetched.sealed!.ephemeralPublicKey),
          ciphertext: fromBase64(fetched.sealed!.ciphertext),
          iv: fromBase64(fetched.sealed!.iv),
        },
      });
      expect(opened.confirmation).toBe(confirmation);
      expect(Buffer.from(opened.identityKeyPair)).toEqual(Buffer.from(identity.serialize()));

      const linked = IdentityKeyPair.deserialize(Buffer.from(opened.identityKeyPair));
      await as(phone)
        .put('/keys', keyUpload(linked, { registrationId: 77, signedId: 5, lastResortId: 5000, ec: 2, kyber: 2 }))
        .expect(200);
      const bundles = await as(laptop).get(`/keys/${laptop.id}`).expect(200);
      expect(bundles.body.identityKey).toBe(b64(identity.publicKey.serialize()));
      expect(bundles.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual([phone.deviceId]);

      // Delivered: the sealed identity is dropped at once; the row (public data) waits for the sweep.
      await as(phone).delete(`/devices/links/${link.linkId}`).expect(204);
      expect((await as(phone).get(`/devices/links/${link.linkId}`).expect(200)).body).toMatchObject({
        status: 'completed',
        sealed: null,
      });
      const row = await linkRow(link.linkId);
      expect([row.ciphertext, row.iv, row.sealer_public_key]).toEqual([null, null, null]);
      const reuse = await seal(link.code, identity, laptop.id);
      const again = await as(laptop).post(`/devices/links/${link.linkId}/complete`, reuse.body).expect(409);
      expect(again.body.code).toBe('LINK_ALREADY_USED');
    });

    it('stores no private key: only public keys, a token hash and opaque ciphertext', async () => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      const link = await openLink(phone);
      const { body } = await seal(link.code, identity, laptop.id);
      await as(laptop).post(`/devices/links/${link.linkId}/complete`, body).expect(200);

      const secrets = [
        Buffer.from(identity.privateKey.serialize()),
        Buffer.from(identity.serialize()),
        Buffer.from(link.ephemeral.serialize()),
        // Only in the code: the server must not hold either.
        Buffer.from(link.publicKey),
        link.codeSecret,
        Buffer.from(link.codeSecret.toString('base64url')),
        Buffer.from(link.linkToken),
        Buffer.from(link.linkToken, 'base64url'),
      ];
      const forms = secrets.flatMap((s) => [s, Buffer.from(s.toString('base64')), Buffer.from(s.toString('hex'))]);
      const tables: string[] = (
        db.options.type === 'mysql'
          ? await db.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')
          : await db.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
      ).map((r: { name?: string; NAME?: string; TABLE_NAME?: string }) => r.name ?? r.NAME ?? r.TABLE_NAME);
      expect(tables).toContain('device_links');
      let cells = 0;
      for (const table of tables) {
        for (const row of (await db.query(`SELECT * FROM ${q(table)}`)) as Record<string, unknown>[]) {
          for (const [column, value] of Object.entries(row)) {
            if (value === null || value === undefined) continue;
            const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
            cells++;
            for (const secret of forms) {
              if (bytes.includes(secret)) throw new Error(`a secret was found in ${table}.${column}`);
            }
          }
        }
      }
      expect(cells).toBeGreaterThan(20);
      const row = await linkRow(link.linkId);
      expect(Buffer.from(row.ciphertext as Buffer).toString('base64')).toBe(body.ciphertext);
    });
  });

  describe('single use and expiry', () => {
    it('refuses a second completion and keeps the first one', async () => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      const third = await loginAs(sut, laptop.handle, { deviceName: 'Tablet' });
      const link = await openLink(phone);
      const first = await seal(link.code, identity, laptop.id);
      await as(laptop).post(`/devices/links/${link.linkId}/complete`, first.body).expect(200);
      const again = await seal(link.code, identity, laptop.id);
      for (const device of [laptop, third]) {
        const res = await as(device).post(`/devices/links/${link.linkId}/complete`, again.body).expect(409);
        expect(res.body.code).toBe('LINK_ALREADY_USED');
      }
      const row = await linkRow(link.linkId);
      expect(Buffer.from(row.ciphertext as Buffer).toString('base64')).toBe(first.body.ciphertext);
      expect(row.completed_by_device_id).toBe(laptop.deviceId);
    });

    it('lets exactly one of two concurrent completions through', async () => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      const third = await loginAs(sut, laptop.handle, { deviceName: 'Tablet' });
      const link = await openLink(phone);
      const [a, b] = await Promise.all([seal(link.code, identity, laptop.id), seal(link.code, identity, laptop.id)]);
      const results = await Promise.all([
        as(laptop).post(`/devices/links/${link.linkId}/complete`, a.body),
        as(third).post(`/devices/links/${link.linkId}/complete`, b.body),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    });

    it('refuses a completion after expiry, and says so on lookup', async () => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      const link = await openLink(phone);
      // The clock of the link: moved past its expiry (the service's rules take `now`; see its spec).
      await db.getRepository(DeviceLinkEntity).update({ id: link.linkId }, { expiresAt: new Date(Date.now() - 1000) });
      const { body } = await seal(link.code, identity, laptop.id);
      const res = await as(laptop).post(`/devices/links/${link.linkId}/complete`, body).expect(410);
      expect(res.body.code).toBe('LINK_EXPIRED');
      expect((await as(laptop).get(`/devices/links/${link.linkId}`).expect(200)).body.status).toBe('expired');
      expect((await linkRow(link.linkId)).ciphertext).toBeNull();
    });

    it('sweeps links only once their retention after expiry is over', async () => {
      const { phone } = await accountWithNewDevice();
      const link = await openLink(phone);
      const sweeper = sut.app.get(DeviceLinksService);
      const expiresAt = Date.parse(link.expiresAt);
      await sweeper.sweep(new Date(expiresAt + DEVICE_LINK_RETENTION_MS - 1000));
      expect(await linkRow(link.linkId)).toBeDefined();
      expect(await sweeper.sweep(new Date(expiresAt + DEVICE_LINK_RETENTION_MS + 1000))).toBeGreaterThanOrEqual(1);
      expect(await linkRow(link.linkId)).toBeUndefined();
    });

    it('replaces the open link of a device with its new one', async () => {
      const { laptop, phone } = await accountWithNewDevice();
      const first = await openLink(phone);
      const second = await openLink(phone);
      await as(laptop).get(`/devices/links/${first.linkId}`).expect(404);
      await as(laptop).get(`/devices/links/${second.linkId}`).expect(200);
    });

    it('deletes the link of a revoked device', async () => {
      const { laptop, phone } = await accountWithNewDevice();
      const link = await openLink(phone);
      await as(laptop).delete(`/devices/${phone.deviceId}`).expect(204);
      await as(laptop).get(`/devices/links/${link.linkId}`).expect(404);
      expect(await linkRow(link.linkId)).toBeUndefined();
    });
  });

  describe('refusals', () => {
    it("hides another account's link and refuses to complete it", async () => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      const mallory = await createUser(sut, 'mal');
      const link = await openLink(phone);
      expect((await as(mallory).get(`/devices/links/${link.linkId}`).expect(404)).body.code).toBe('LINK_NOT_FOUND');
      const { body } = await seal(link.code, identity, laptop.id);
      await as(mallory).post(`/devices/links/${link.linkId}/complete`, body).expect(404);
      await as(mallory).delete(`/devices/links/${link.linkId}`).expect(404);
      expect((await linkRow(link.linkId)).completed_at).toBeNull();
    });

    it('refuses a wrong token, the own device, and an unknown or malformed id', async () => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      const link = await openLink(phone);
      const { body } = await seal(link.code, identity, laptop.id);
      const wrong = { ...body, linkToken: randomBytes(32).toString('base64url') };
      expect((await as(laptop).post(`/devices/links/${link.linkId}/complete`, wrong).expect(403)).body.code).toBe(
        'LINK_TOKEN_INVALID',
      );
      expect((await as(phone).post(`/devices/links/${link.linkId}/complete`, body).expect(409)).body.code).toBe(
        'LINK_OWN_DEVICE',
      );
      await as(laptop).post(`/devices/links/${randomUUID()}/complete`, body).expect(404);
      await as(laptop).get(`/devices/links/${randomUUID()}`).expect(404);
      for (const bad of ['nope', `${link.linkId}x`]) {
        expect((await as(laptop).get(`/devices/links/${bad}`).expect(400)).body.code).toBe('VALIDATION_FAILED');
      }
      expect((await linkRow(link.linkId)).completed_at).toBeNull();
    });

    it.each([
      ['a key (v1 clients sent theirs; it belongs only in the code)', { ephemeralPublicKey: b64(randomBytes(32)) }],
      ['an unknown field', { extra: 1 }],
      ['an array', [1]],
    ])('refuses a link with %s and stores nothing', async (_why, body) => {
      const user = await createUser(sut, 'badl');
      const res = await as(user).post('/devices/links', body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await db.query(`SELECT * FROM ${q('device_links')} WHERE ${q('user_id')} = ?`, [user.id])).toEqual([]);
    });

    it.each([
      ['a short token', { linkToken: 'abc' }],
      ['an 11-byte iv', { iv: b64(randomBytes(11)) }],
      ['a 33-byte key', { ephemeralPublicKey: b64(randomBytes(33)) }],
      ['an all-zero key', { ephemeralPublicKey: b64(Buffer.alloc(32)) }],
      ['an unpadded key', { ephemeralPublicKey: b64(randomBytes(32)).replace('=', '') }],
      ['a 2 KiB ciphertext', { ciphertext: b64(randomBytes(2048)) }],
      ['a non-base64 ciphertext', { ciphertext: '!'.repeat(200) }],
      ['a missing ciphertext', { ciphertext: undefined }],
      ['an unknown field', { extra: true }],
    ])('refuses a completion with %s and changes nothing', async (_why, patch) => {
      const { laptop, phone, identity } = await accountWithNewDevice();
      const link = await openLink(phone);
      const { body } = await seal(link.code, identity, laptop.id);
      const res = await as(laptop)
        .post(`/devices/links/${link.linkId}/complete`, { ...body, ...patch })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect((await linkRow(link.linkId)).completed_at).toBeNull();
    });

    it('rate-limits link creation per device', async () => {
      const user = await createUser(sut, 'rate');
      for (let i = 0; i < 10; i++) await as(user).post('/devices/links').expect(201);
      const res = await as(user).post('/devices/links').expect(429);
      expect(res.body).toMatchObject({ code: 'LINK_RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    });

    it('requires an access token', async () => {
      await request(sut.http).post('/devices/links').expect(401);
    });
  });

  it('opens only with the right ephemeral key (a key swapped in by the server does not decrypt)', async () => {
    const { laptop, phone, identity } = await accountWithNewDevice();
    const link = await openLink(phone);
    const { body } = await seal(link.code, identity, laptop.id);
    const attempt = openIdentity({
      linkId: link.linkId,
      ephemeralPrivateKey: await PrivateKey.generateAsync(),
      codeSecret: link.codeSecret,
      accountId: phone.id,
      sealed: {
        ephemeralPublicKey: fromBase64(body.ephemeralPublicKey),
        ciphertext: fromBase64(body.ciphertext),
        iv: fromBase64(body.iv),
      },
    });
    await expect(attempt).rejects.toThrow('could not be decrypted');
    expect(toBase64(TsIdentityKeyPair.deserialize(identity.serialize()).publicKey.serialize())).toBe(
      b64(identity.publicKey.serialize()),
    );
  });

  it('refuses on the new device an identity sealed by whoever completes the link without the code secret', async () => {
    // The server's view (link id, token, account), even with the new device key: all it lacks is the secret.
    const { laptop, phone } = await accountWithNewDevice();
    const link = await openLink(phone);
    const serverCode = `${link.linkId}.${link.linkToken}.${b64url(link.publicKey)}.${b64url(randomBytes(32))}`;
    const forged = await seal(serverCode, IdentityKeyPair.generate(), phone.id);
    await as(laptop).post(`/devices/links/${link.linkId}/complete`, forged.body).expect(200);

    const fetched = (await as(phone).get(`/devices/links/${link.linkId}`).expect(200)).body as DeviceLinkDto;
    const attempt = openIdentity({
      linkId: link.linkId,
      ephemeralPrivateKey: link.ephemeral,
      codeSecret: link.codeSecret,
      accountId: phone.id,
      sealed: {
        ephemeralPublicKey: fromBase64(fetched.sealed!.ephemeralPublicKey),
        ciphertext: fromBase64(fetched.sealed!.ciphertext),
        iv: fromBase64(fetched.sealed!.iv),
      },
    });
    await expect(attempt).rejects.toThrow('could not be decrypted');
  });
});

const scaled = testDialect() === 'mariadb' && (await serviceAvailable('Redis', REDIS_URL));

/** Two api instances on one MariaDB and one Redis, as behind a load balancer. */
(scaled ? describeE2E : describe.skip)('device links across api instances', () => {
  let first: TestApp;
  let second: TestApp;
  let socket: TestSocket | undefined;

  beforeAll(async () => {
    const shared = { REDIS_URL, REDIS_KEY_PREFIX: `pairchat-test-${randomBytes(4).toString('hex')}:` };
    first = await createTestApp(shared);
    second = await createTestApp({
      ...shared,
      DATABASE_URL: first.db.env.DATABASE_URL!,
      JWT_SECRET: first.config.jwtSecret,
    });
    await second.app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    socket?.close();
    await second?.close();
    await first?.close();
  });

  it('tells the new device on one instance when the link is completed through another', async () => {
    const laptop = await createUser(first, 'xnode', { deviceName: 'Laptop' });
    const identity = IdentityKeyPair.generate();
    await request(first.http).put('/keys').set('Authorization', laptop.bearer).send(keyUpload(identity)).expect(200);
    const phone = await loginAs(second, laptop.handle, { deviceName: 'Phone' });
    socket = await connectSocket(await second.app.getUrl(), phone.session.accessToken);

    const ephemeral = await PrivateKey.generateAsync();
    const key = ephemeral.getPublicKey().getPublicKeyBytes();
    const created = (await request(second.http).post('/devices/links').set('Authorization', phone.bearer).expect(201))
      .body as DeviceLinkCreatedDto;
    const code = parseDeviceLinkCode(
      `${created.linkId}.${created.linkToken}.${b64url(key)}.${b64url(randomBytes(32))}`,
    );
    const sealed = await sealIdentity({ code, identityKeyPair: identity.serialize(), accountId: laptop.id });
    await request(first.http)
      .post(`/devices/links/${created.linkId}/complete`)
      .set('Authorization', laptop.bearer)
      .send({
        linkToken: created.linkToken,
        ephemeralPublicKey: b64(sealed.ephemeralPublicKey),
        ciphertext: b64(sealed.ciphertext),
        iv: b64(sealed.iv),
      })
      .expect(200);
    expect(await socket.waitFor('device:link-completed')).toEqual([{ linkId: created.linkId }]);
  });
});
