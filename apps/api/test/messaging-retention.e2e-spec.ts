import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { MessageSendAck, QueueNotice } from '@pairchat/messaging';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuthService } from '../src/auth/auth.service.js';
import { MessagingService } from '../src/messaging/messaging.service.js';
import { connectSocket, fakeCiphertext, TestSocket } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, TestUser } from './utils/users.js';

// Expiry races and the retention sweeps, on the real database. Each test runs its sweeps with a
// clock past the TTL, so it expires whatever earlier tests left queued as well: assertions are per user.
/** keyUpload's default registration id; a device without keys takes any. */
const REGISTRATION_ID = 4242;

describeE2E('message expiry and retention', () => {
  let sut: TestApp;
  let url: string;
  let messaging: MessagingService;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000', MESSAGE_RATE_LIMIT: '100000' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
    messaging = sut.app.get(MessagingService);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await sut.close();
  });

  const connect = async (user: TestUser, autoAck = false) => {
    const socket = await connectSocket(url, user.session.accessToken, { autoAck });
    sockets.push(socket);
    return socket;
  };
  async function pairedUsers(): Promise<[TestUser, TestUser]> {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    const req = (
      await request(sut.http).post('/pairs/requests').set('Authorization', alice.bearer).send({ handle: bob.handle })
    ).body.request;
    await request(sut.http).post(`/pairs/requests/${req.id}/accept`).set('Authorization', bob.bearer).expect(200);
    return [alice, bob];
  }
  async function sendThree(from: TestSocket, to: TestUser): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ack = (await from.emitWithAck('message:send', {
        clientMessageId: randomUUID(),
        recipientUserId: to.id,
        envelopes: [{ deviceId: to.deviceId, registrationId: REGISTRATION_ID, type: 3, ciphertext: fakeCiphertext() }],
      })) as MessageSendAck;
      ids.push(ack.messageId);
    }
    return ids;
  }
  const pastTtl = () => Date.now() + sut.config.messaging.ttlMs + 1_000;
  const queued = async (deviceId: string) =>
    (await sut.app
      .get(DataSource)
      .query('SELECT `id` FROM `envelopes` WHERE `device_id` = ? ORDER BY `id`', [deviceId])) as {
      id: string | number;
    }[];

  it('keeps the gap count of the rest when an envelope is acked between the scan and the delete', async () => {
    const [alice, bob] = await pairedUsers();
    const a = await connect(alice, true);
    await a.waitFor('queue:empty');
    const sent = await sendThree(a, bob);
    const [first] = await queued(bob.deviceId);

    // Bob's device acks its first envelope right after the expiry scan read it as a candidate.
    const manager = sut.app.get(DataSource).manager;
    const query = manager.query.bind(manager);
    const spy = (async (sql: string, params?: unknown[]) => {
      const result = await query(sql, params);
      if (sql.startsWith('SELECT `id` FROM `envelopes` WHERE `created_at` <')) {
        manager.query = query;
        await messaging.ack({ userId: bob.id, deviceId: bob.deviceId }, [String(first!.id)]);
      }
      return result;
    }) as typeof manager.query;
    manager.query = spy;
    try {
      await messaging.expireEnvelopes(pastTtl());
    } finally {
      manager.query = query;
    }

    const b = await connect(bob, true);
    await b.waitFor('queue:empty');
    expect(b.all('queue:notice')).toEqual([expect.objectContaining({ kind: 'gap', count: 2 })]);
    const notices = await a.waitFor('queue:notice', 1, (n) => n.kind === 'expired' && n.recipientUserId === bob.id);
    // The acked one was delivered, not lost: only the other two expired undelivered.
    expect((notices[0] as Extract<QueueNotice, { kind: 'expired' }>).messageIds.sort()).toEqual(sent.slice(1).sort());
  });

  it('notifies once when two sweeps expire the same envelopes at the same time', async () => {
    const [alice, bob] = await pairedUsers();
    const a = await connect(alice, true);
    await a.waitFor('queue:empty');
    await sendThree(a, bob);
    const now = pastTtl();
    await Promise.all([messaging.expireEnvelopes(now), messaging.expireEnvelopes(now)]);

    const b = await connect(bob, true);
    await b.waitFor('queue:empty');
    expect(b.all('queue:notice')).toEqual([expect.objectContaining({ kind: 'gap', count: 3 })]);
    await a.waitFor('queue:notice', 1, (n) => n.kind === 'expired' && n.recipientUserId === bob.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.all('queue:notice').filter((n) => n.kind === 'expired' && n.recipientUserId === bob.id)).toHaveLength(1);
  });

  it('purges messages past the TTL once no envelope of them is left, and keeps the others', async () => {
    const [alice, bob] = await pairedUsers();
    const a = await connect(alice, true);
    await a.waitFor('queue:empty');
    const [delivered, ...queuedIds] = await sendThree(a, bob);
    const [first] = await queued(bob.deviceId);
    await messaging.ack({ userId: bob.id, deviceId: bob.deviceId }, [String(first!.id)]);
    const count = async (ids: string[]) =>
      Number(
        (
          (await sut.app
            .get(DataSource)
            .query(
              `SELECT COUNT(*) AS n FROM \`messages\` WHERE \`id\` IN (${ids.map(() => '?').join(', ')})`,
              ids,
            )) as {
            n: number | string;
          }[]
        )[0]!.n,
      );

    // Within the TTL nothing goes: the receipts still list all three.
    await messaging.purgeMessages();
    expect(await count([delivered!, ...queuedIds])).toBe(3);
    // Past the TTL, the delivered one goes; the two still queued stay until they expire.
    await messaging.purgeMessages(pastTtl());
    expect(await count([delivered!])).toBe(0);
    expect(await count(queuedIds)).toBe(2);
    await messaging.expireEnvelopes(pastTtl());
    await messaging.purgeMessages(pastTtl());
    expect(await count(queuedIds)).toBe(0);
  });

  it('purges refresh tokens past their expiry, and the session cannot be refreshed any more', async () => {
    const alice = await createUser(sut, 'alice');
    const rows = () =>
      sut.app.get(DataSource).query('SELECT `id` FROM `refresh_tokens` WHERE `user_id` = ?', [alice.id]) as Promise<
        unknown[]
      >;
    const auth = sut.app.get(AuthService);
    await auth.purgeRefreshTokens();
    expect(await rows()).toHaveLength(1);
    const later = new Date(Date.now() + sut.config.refreshTokenTtlSeconds * 1000 + 1_000);
    expect(await auth.purgeRefreshTokens(later)).toBeGreaterThanOrEqual(1);
    expect(await rows()).toHaveLength(0);
    await request(sut.http).post('/auth/refresh').send({ refreshToken: alice.session.refreshToken }).expect(401);
  });
});
