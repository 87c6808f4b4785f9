import 'fake-indexeddb/auto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { preKeyBundleResponseSchema, deviceAddressListSchema } from '@pairchat/keys';
import { PairchatClient } from '@pairchat/messaging';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ChatService, type ChatDirectory } from '../../web/src/chat/chat-service.js';
import { HistoryStore } from '../../web/src/chat/history-store.js';
import { historyStorage } from '../../web/src/chat/sdk-storage.js';
import type { ChatItem } from '../../web/src/chat/types.js';
import { EngineClient } from '../../web/src/crypto/engine-client.js';
import { fakeEngineWorker } from '../../web/src/crypto/fake-engine-worker.js';
import { DeviceStores } from '../../web/src/crypto/idb-stores.js';
import { Vault } from '../../web/src/crypto/vault.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, loginAs, TestUser } from './utils/users.js';

// The web client's messaging pipeline (apps/web/src/chat) against the real server: real socket
// SDK, real key directory and device checks, two real ts-engine devices per test (the crypto worker
// host runs in this thread over fake-indexeddb). The screens are W2's browser test.

let databases = 0;

describeE2E('web chat pipeline', () => {
  let sut: TestApp;
  let url: string;
  const cleanup: (() => void)[] = [];

  beforeAll(async () => {
    sut = await createTestApp({
      LOGIN_LIMIT_PER_IP: '10000',
      MESSAGE_RATE_LIMIT: '100000',
      KEY_FETCH_BUCKET_SIZE: '1000',
    });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(async () => {
    for (const stop of cleanup.splice(0)) stop();
    await sut.close();
  });

  async function pairedUsers(): Promise<[TestUser, TestUser]> {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    const req = (
      await request(sut.http).post('/pairs/requests').set('Authorization', alice.bearer).send({ handle: bob.handle })
    ).body.request;
    await request(sut.http).post(`/pairs/requests/${req.id}/accept`).set('Authorization', bob.bearer).expect(200);
    return [alice, bob];
  }

  async function get(user: TestUser, path: string): Promise<unknown> {
    const res = await request(sut.http).get(path).set('Authorization', user.bearer);
    if (res.status !== 200) throw Object.assign(new Error(res.body?.code ?? 'request failed'), { status: res.status });
    return res.body;
  }

  /** One browser device: keys made in the engine and uploaded, history, pipeline, socket. */
  async function device(user: TestUser, copyIdentityFrom?: string) {
    const database = `pipeline-e2e-${Date.now()}-${++databases}`;
    if (copyIdentityFrom) {
      const from = await DeviceStores.open({ name: copyIdentityFrom });
      const to = await DeviceStores.open({ name: database });
      await to.setLocalIdentity(await from.protocol.identity.getIdentityKeyPair(), 1000 + databases);
      from.close();
      to.close();
    }
    const engine = new EngineClient(fakeEngineWorker().worker);
    const status = await engine.open(database, user.id);
    if (!status.hasIdentity) await engine.createIdentity();
    const upload = await engine.initialUpload();
    const counts = await request(sut.http).put('/keys').set('Authorization', user.bearer).send(upload).expect(200);
    await engine.setProtocolDeviceId(counts.body.protocolDeviceId);

    const vault = await Vault.open({ name: database });
    const history = new HistoryStore(vault);
    const directory: ChatDirectory = {
      // As the web directory does: a known device list claims only for the devices without a session.
      claimPreKeyBundles: async (userId, deviceIds) =>
        preKeyBundleResponseSchema.parse(
          await get(user, `/keys/${userId}${deviceIds ? `?deviceIds=${deviceIds.join(',')}` : ''}`),
        ),
      listDeviceAddresses: async (userId) =>
        deviceAddressListSchema.parse(await get(user, `/keys/${userId}/devices`)).devices,
    };
    const service = new ChatService({
      self: { userId: user.id, deviceId: user.deviceId, protocolDeviceId: counts.body.protocolDeviceId },
      crypto: engine,
      directory,
      history,
      retryDelayMs: 50,
    });
    const client = new PairchatClient({
      url,
      getAccessToken: () => user.session.accessToken,
      storage: historyStorage(history, vault),
      storageKey: `test.${user.deviceId}`,
      onEnvelope: (envelope) => service.handleEnvelope(envelope),
      socket: { transports: ['websocket'] },
      backoff: { minDelayMs: 20, maxDelayMs: 200, jitter: 0 },
    });
    service.attach(client);
    await service.start();
    await client.connect();
    cleanup.push(() => {
      service.stop();
      client.close();
      engine.terminate();
    });
    const rows = async (conversationId: string): Promise<ChatItem[]> =>
      (await history.page(conversationId, 100)).records.map((r) => r.item);
    return { user, engine, history, service, client, database, rows };
  }

  const until = async (check: () => Promise<void>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };

  it('sends, syncs to the other own device, receipts back to read, and replies', async () => {
    const [aliceUser, bobUser] = await pairedUsers();
    const alice = await device(aliceUser);
    const bob = await device(bobUser);
    const laptopUser = await loginAs(sut, aliceUser.handle, { deviceName: 'Laptop' });
    const laptop = await device(laptopUser, alice.database);

    // Alice's phone has never heard of her laptop: the first send meets DEVICES_MISMATCH (missing)
    // and is re-encrypted for both devices under the same client message id.
    const sent = await alice.service.send(bobUser.id, 'hello over the real server');
    await until(async () => {
      expect((await bob.rows(aliceUser.id)).map((r) => [r.direction, r.text])).toEqual([
        ['in', 'hello over the real server'],
      ]);
    });
    await until(async () => {
      const [copy] = await laptop.rows(bobUser.id);
      expect(copy).toMatchObject({ id: sent.id, direction: 'out', text: 'hello over the real server' });
    });
    await until(async () => expect((await alice.rows(bobUser.id))[0]!.status).toBe('delivered'));

    await bob.service.markRead(aliceUser.id);
    await until(async () => expect((await alice.rows(bobUser.id))[0]!.status).toBe('read'));

    await bob.service.send(aliceUser.id, 'loud and clear');
    await until(async () => expect((await alice.rows(bobUser.id)).map((r) => r.text)).toContain('loud and clear'));
    await until(async () => expect((await laptop.rows(bobUser.id)).map((r) => r.text)).toContain('loud and clear'));
    const [server] = await sut.app.get(DataSource).query(`SELECT COUNT(*) AS n FROM messages`);
    expect(Number(server.n)).toBeGreaterThanOrEqual(4); // two texts and their receipts
  }, 60_000);

  it('recovers a message the recipient could not decrypt: placeholder, resend, replaced once', async () => {
    const [aliceUser, bobUser] = await pairedUsers();
    const alice = await device(aliceUser);
    const bob = await device(bobUser);
    await alice.service.send(bobUser.id, 'first');
    await until(async () => expect(await bob.rows(aliceUser.id)).toHaveLength(1));

    const placeholders: string[] = [];
    bob.service.on('items', (_c, items) =>
      placeholders.push(...items.filter((i) => i.kind === 'undecryptable').map((i) => i.id)),
    );
    await bob.engine.deleteSession({ name: aliceUser.id, deviceId: 1 });
    const lost = await alice.service.send(bobUser.id, 'second, lost at first');
    await until(async () => {
      expect((await bob.rows(aliceUser.id)).map((r) => [r.kind, r.text, r.id])).toEqual([
        ['text', 'first', expect.any(String)],
        ['text', 'second, lost at first', lost.id],
      ]);
    });
    expect(placeholders).toHaveLength(1);
  }, 60_000);
});
