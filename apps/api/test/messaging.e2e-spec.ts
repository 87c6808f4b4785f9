import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import type { Envelope, MessageSendAck, QueueNotice } from '@pairchat/messaging';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import request from 'supertest';
import { MessagingService } from '../src/messaging/messaging.service.js';
import { keyUpload } from './utils/keys.js';
import { connectSocket, fakeCiphertext, handshakeError, TestSocket } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, loginAs, TestUser } from './utils/users.js';

/** keyUpload's default registration id; a device without keys takes any. */
const REGISTRATION_ID = 4242;

describeE2E('realtime messaging', () => {
  let sut: TestApp;
  let url: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000', MESSAGE_RATE_LIMIT: '100000', MESSAGE_MAX_DEVICES: '4' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await sut.close();
  });

  const token = (user: TestUser) => user.session.accessToken;
  const connect = async (user: TestUser, autoAck = false) => {
    const socket = await connectSocket(url, token(user), { autoAck });
    sockets.push(socket);
    return socket;
  };
  const as = (user: TestUser) => ({
    get: (path: string) => request(sut.http).get(path).set('Authorization', user.bearer),
    post: (path: string, body?: object) => request(sut.http).post(path).set('Authorization', user.bearer).send(body),
    put: (path: string, body?: object) => request(sut.http).put(path).set('Authorization', user.bearer).send(body),
    delete: (path: string) => request(sut.http).delete(path).set('Authorization', user.bearer),
    patch: (path: string, body?: object) => request(sut.http).patch(path).set('Authorization', user.bearer).send(body),
  });
  async function pair(a: TestUser, b: TestUser): Promise<void> {
    const req = (await as(a).post('/pairs/requests', { handle: b.handle }).expect(201)).body.request;
    await as(b).post(`/pairs/requests/${req.id}/accept`).expect(200);
  }
  async function pairedUsers(): Promise<[TestUser, TestUser]> {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    await pair(alice, bob);
    return [alice, bob];
  }
  /** Devices as ids (registration id {@link REGISTRATION_ID}) or [id, registration id]. */
  const send = (
    from: TestSocket,
    to: TestUser,
    deviceIds: (string | [string, number])[],
    clientMessageId = randomUUID(),
    extra: object = {},
  ) =>
    from.emitWithAck('message:send', {
      clientMessageId,
      recipientUserId: to.id,
      envelopes: deviceIds.map((d) => {
        const [deviceId, registrationId] = typeof d === 'string' ? [d, REGISTRATION_ID] : d;
        return { deviceId, registrationId, type: 3, ciphertext: fakeCiphertext() };
      }),
      ...extra,
    }) as Promise<MessageSendAck | { ok: false; error: { code: string; details?: Record<string, unknown> } }>;

  describe('handshake', () => {
    it('refuses a missing, a forged and an expired token, and a revoked device, with a reason', async () => {
      const alice = await createUser(sut, 'alice');
      expect(await handshakeError(url, undefined)).toBe('TOKEN_MISSING');
      expect(await handshakeError(url, 'not.a.jwt')).toBe('TOKEN_INVALID');
      const jwt = sut.app.get(JwtService);
      const past = Math.floor(Date.now() / 1000) - 3600;
      const expired = await jwt.signAsync({
        sub: alice.id,
        did: alice.deviceId,
        jti: randomUUID(),
        iat: past,
        exp: past + 60,
      });
      expect(await handshakeError(url, expired)).toBe('TOKEN_EXPIRED');
      const other = await loginAs(sut, alice.handle);
      await as(other).delete(`/devices/${alice.deviceId}`).expect(204);
      expect(await handshakeError(url, token(alice))).toBe('DEVICE_REVOKED');
    });

    it('tells a socket TOKEN_EXPIRED and closes it when its access token expires', async () => {
      const alice = await createUser(sut, 'alice');
      const now = Math.floor(Date.now() / 1000);
      const shortLived = await sut.app
        .get(JwtService)
        .signAsync({ sub: alice.id, did: alice.deviceId, jti: randomUUID(), iat: now, exp: now + 2 });
      const socket = await connectSocket(url, shortLived, { autoAck: false });
      sockets.push(socket);
      const closed = new Promise((resolve) => socket.socket.once('disconnect', resolve));
      const [error] = await socket.waitFor('error', 1, () => true, 5_000);
      expect(error).toMatchObject({ code: 'TOKEN_EXPIRED' });
      await expect(closed).resolves.toBe('io server disconnect');
    });

    it('closes the sockets of a device whose session logs out, and only those', async () => {
      const alice = await createUser(sut, 'alice');
      const laptop = await loginAs(sut, alice.handle);
      const [phone, other] = [await connect(alice), await connect(laptop)];
      const closed = new Promise((resolve) => phone.socket.once('disconnect', resolve));
      await as(alice).post('/auth/logout', {}).expect(204);
      await expect(closed).resolves.toBe('io server disconnect');
      expect(phone.all('error')).toEqual([expect.objectContaining({ code: 'UNAUTHORIZED' })]);
      await new Promise((r) => setTimeout(r, 100));
      expect(other.socket.connected).toBe(true);
    });

    it('disconnects the sockets of a device when it is revoked', async () => {
      const alice = await createUser(sut, 'alice');
      const phone = await loginAs(sut, alice.handle);
      const socket = await connect(alice);
      const closed = new Promise((resolve) => socket.socket.once('disconnect', resolve));
      await as(phone).delete(`/devices/${alice.deviceId}`).expect(204);
      await expect(closed).resolves.toBe('io server disconnect');
    });

    it('disconnects a revoked device even while its queue is still draining', async () => {
      const [alice, bob] = await pairedUsers();
      const bobPhone = await loginAs(sut, bob.handle);
      const a = await connect(alice);
      expect(await send(a, bob, [bob.deviceId, bobPhone.deviceId])).toMatchObject({ ok: true });
      const b = await connect(bob); // no acks: the drain waits on the first page
      await b.waitFor('message:new');
      const closed = new Promise((resolve) => b.socket.once('disconnect', resolve));
      await as(bobPhone).delete(`/devices/${bob.deviceId}`).expect(204);
      await expect(closed).resolves.toBe('io server disconnect');
    });
  });

  describe('message:send', () => {
    it('stores, acks, pushes to the online device and reports delivered to the sender', async () => {
      const [alice, bob] = await pairedUsers();
      const [a, b] = [await connect(alice), await connect(bob, true)];
      await Promise.all([a.waitFor('queue:empty'), b.waitFor('queue:empty')]);
      const ack = await send(a, bob, [bob.deviceId], 'c-1');
      expect(ack).toEqual({
        ok: true,
        messageId: expect.any(String),
        serverTimestamp: expect.any(String),
        duplicate: false,
      });
      const { messageId } = ack as MessageSendAck;
      const [envelope] = await b.waitFor('message:new');
      expect(envelope).toMatchObject({
        messageId,
        kind: 'message',
        senderUserId: alice.id,
        senderDeviceId: alice.deviceId,
        recipientUserId: bob.id,
        type: 3,
      });
      // The sending device has the ack for `sent`; it is told `delivered` only.
      const statuses = await a.waitFor('message:status', 1);
      expect(statuses.map((s) => s.status)).toEqual(['delivered']);
      expect(statuses[0]).toMatchObject({ messageId, clientMessageId: 'c-1', recipientUserId: bob.id });

      const receipts = await as(alice).get(`/conversations/${bob.id}/receipts`).expect(200);
      expect(receipts.body).toEqual([
        {
          messageId,
          clientMessageId: 'c-1',
          recipientUserId: bob.id,
          status: 'delivered',
          sentAt: expect.any(String),
          deliveredAt: expect.any(String),
        },
      ]);
      expect((await as(bob).get(`/conversations/${alice.id}/receipts`).expect(200)).body).toEqual([]);
    });

    it('delivers the sync copy to the sender’s other device and keeps delivered for recipient devices only', async () => {
      const [alice, bob] = await pairedUsers();
      const laptop = await loginAs(sut, alice.handle);
      const [a, l] = [await connect(alice), await connect(laptop, true)];
      await l.waitFor('queue:empty');
      const ack = (await send(a, bob, [bob.deviceId, laptop.deviceId])) as MessageSendAck;
      const [copy] = await l.waitFor('message:new');
      expect(copy).toMatchObject({ messageId: ack.messageId, recipientUserId: bob.id, senderDeviceId: alice.deviceId });
      await l.waitFor('message:status', 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(l.all('message:status').map((s) => s.status)).toEqual(['sent']);
    });

    it('answers a resend with the first ack and stores nothing new', async () => {
      const [alice, bob] = await pairedUsers();
      const a = await connect(alice);
      const first = (await send(a, bob, [bob.deviceId], 'same')) as MessageSendAck;
      const again = (await send(a, bob, [bob.deviceId], 'same')) as MessageSendAck;
      const concurrent = await Promise.all([
        send(a, bob, [bob.deviceId], 'race'),
        send(a, bob, [bob.deviceId], 'race'),
      ]);
      expect(again).toEqual({ ...first, duplicate: true });
      expect((concurrent[0] as MessageSendAck).messageId).toBe((concurrent[1] as MessageSendAck).messageId);
      const b = await connect(bob, true);
      await b.waitFor('queue:empty');
      expect(b.all('message:new').map((e) => e.messageId)).toEqual([
        first.messageId,
        (concurrent[0] as MessageSendAck).messageId,
      ]);
    });

    it('answers an envelope without a registration id (an old outbox entry) as stale, so it is re-encrypted', async () => {
      const [alice, bob] = await pairedUsers();
      await as(bob).patch(`/devices/${bob.deviceId}`, { registrationId: REGISTRATION_ID }).expect(200);
      const a = await connect(alice);
      const answer = await a.emitWithAck('message:send', {
        clientMessageId: 'no-registration-id',
        recipientUserId: bob.id,
        envelopes: [{ deviceId: bob.deviceId, type: 3, ciphertext: fakeCiphertext() }],
      } as never);
      expect(answer).toMatchObject({
        ok: false,
        error: {
          code: 'DEVICES_MISMATCH',
          event: 'message:send',
          details: { missing: [], extra: [], stale: [{ userId: bob.id, deviceId: bob.deviceId }] },
        },
      });
      expect((await as(alice).get(`/conversations/${bob.id}/receipts`).expect(200)).body).toEqual([]);
      expect(await send(a, bob, [bob.deviceId], 'no-registration-id')).toMatchObject({ ok: true, duplicate: false });
    });

    it('lists missing, extra and stale devices and stores nothing', async () => {
      const [alice, bob] = await pairedUsers();
      const bobPhone = await loginAs(sut, bob.handle, { registrationId: 77 });
      const aliceLaptop = await loginAs(sut, alice.handle);
      // Only devices with published keys can be encrypted to, so only they are required.
      await as(bob).put('/keys', keyUpload(IdentityKeyPair.generate())).expect(200);
      await as(aliceLaptop).put('/keys', keyUpload(IdentityKeyPair.generate())).expect(200);
      const a = await connect(alice);
      const stranger = randomUUID();
      const answer = await a.emitWithAck('message:send', {
        clientMessageId: 'mismatch',
        recipientUserId: bob.id,
        envelopes: [
          { deviceId: bobPhone.deviceId, registrationId: 78, type: 3, ciphertext: fakeCiphertext() },
          { deviceId: stranger, registrationId: REGISTRATION_ID, type: 3, ciphertext: fakeCiphertext() },
        ],
      });
      expect(answer).toEqual({
        ok: false,
        error: {
          code: 'DEVICES_MISMATCH',
          message: expect.any(String),
          event: 'message:send',
          details: {
            missing: expect.arrayContaining([
              { userId: bob.id, deviceId: bob.deviceId },
              { userId: alice.id, deviceId: aliceLaptop.deviceId },
            ]),
            extra: [{ deviceId: stranger }],
            stale: [{ userId: bob.id, deviceId: bobPhone.deviceId }],
          },
        },
      });
      expect((await as(alice).get(`/conversations/${bob.id}/receipts`).expect(200)).body).toEqual([]);
      const ok = await send(a, bob, [bob.deviceId, [bobPhone.deviceId, 77], aliceLaptop.deviceId], 'mismatch');
      expect(ok).toMatchObject({ ok: true, duplicate: false });
    });

    it('does not require a device that has no keys yet, and accepts an envelope for it', async () => {
      const [alice, bob] = await pairedUsers();
      await as(bob).put('/keys', keyUpload(IdentityKeyPair.generate())).expect(200);
      const bobNew = await loginAs(sut, bob.handle, { deviceName: 'no keys yet' });
      const a = await connect(alice);
      expect(await send(a, bob, [bob.deviceId])).toMatchObject({ ok: true });
      expect(await send(a, bob, [bob.deviceId, bobNew.deviceId])).toMatchObject({ ok: true });
      const missing = await send(a, bob, [bobNew.deviceId]);
      expect(missing).toMatchObject({
        ok: false,
        error: { code: 'DEVICES_MISMATCH', details: { missing: [{ userId: bob.id, deviceId: bob.deviceId }] } },
      });
    });

    it('refuses unpaired and blocked senders', async () => {
      const [alice, carol] = [await createUser(sut, 'alice'), await createUser(sut, 'carol')];
      const a = await connect(alice);
      expect(await send(a, carol, [carol.deviceId])).toMatchObject({ ok: false, error: { code: 'NOT_PAIRED' } });
      const [dave, erin] = await pairedUsers();
      await as(erin).post('/blocks', { userId: dave.id }).expect(204);
      const d = await connect(dave);
      expect(await send(d, erin, [erin.deviceId])).toMatchObject({ ok: false, error: { code: 'NOT_PAIRED' } });
      const e = await connect(erin);
      expect(await send(e, dave, [dave.deviceId])).toMatchObject({ ok: false, error: { code: 'NOT_PAIRED' } });
    });

    it('refuses an oversize ciphertext and too many devices with their own codes', async () => {
      const [alice, bob] = await pairedUsers();
      const a = await connect(alice);
      const big = await a.emitWithAck('message:send', {
        clientMessageId: 'big',
        recipientUserId: bob.id,
        envelopes: [
          { deviceId: bob.deviceId, registrationId: REGISTRATION_ID, type: 3, ciphertext: fakeCiphertext(65_537) },
        ],
      });
      expect(big).toMatchObject({ ok: false, error: { code: 'CIPHERTEXT_TOO_LARGE', details: { maxBytes: 65_536 } } });
      const many = await send(
        a,
        bob,
        [1, 2, 3, 4, 5].map(() => randomUUID()),
      );
      expect(many).toMatchObject({ ok: false, error: { code: 'TOO_MANY_DEVICES', details: { maxDevices: 4 } } });
    });

    it('answers malformed and unknown events with an error event and stores nothing', async () => {
      const [alice, bob] = await pairedUsers();
      const a = await connect(alice);
      const answer = await a.emitWithAck('message:send', {
        clientMessageId: 'x',
        recipientUserId: 'nope',
        envelopes: [],
      });
      expect(answer).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', event: 'message:send' } });
      a.socket.emit('message:send' as never, 'not even an object' as never);
      (a.socket.emit as (e: string, p: unknown) => void)('message:delete', {});
      const errors = await a.waitFor('error', 3);
      expect(errors.map((e) => e.code).sort()).toEqual(['UNKNOWN_EVENT', 'VALIDATION_FAILED', 'VALIDATION_FAILED']);
      expect((await as(alice).get(`/conversations/${bob.id}/receipts`).expect(200)).body).toEqual([]);
    });
  });

  describe('delivery', () => {
    it('drains an offline device in server order, in acked pages, then says queue:empty', async () => {
      const [alice, bob] = await pairedUsers();
      const a = await connect(alice);
      const ids: string[] = [];
      for (let i = 0; i < 230; i++)
        ids.push(((await send(a, bob, [bob.deviceId], `m-${i}`)) as MessageSendAck).messageId);

      const b = await connect(bob);
      // Without acks the server stops after one page.
      await b.waitFor('message:new', 100);
      await new Promise((r) => setTimeout(r, 200));
      expect(b.all('message:new')).toHaveLength(100);
      expect(b.all('queue:empty')).toHaveLength(0);
      let acked = 0;
      while (acked < 230) {
        const page = b.all('message:new').slice(acked);
        b.socket.emit('message:ack', { envelopeIds: page.map((e) => e.id) });
        acked += page.length;
        if (acked < 230) await b.waitFor('message:new', Math.min(230, acked + 1));
      }
      await b.waitFor('queue:empty');
      const received = b.all('message:new');
      expect(received.map((e) => e.messageId)).toEqual(ids);
      const envelopeIds = received.map((e) => BigInt(e.id));
      expect([...envelopeIds].sort((x, y) => (x < y ? -1 : 1))).toEqual(envelopeIds);
      b.close();

      const again = await connect(bob);
      await again.waitFor('queue:empty');
      expect(again.all('message:new')).toHaveLength(0);
    });

    it('reports a message delivered once when two recipient devices ack it in the same millisecond', async () => {
      const [alice, bob] = await pairedUsers();
      const phone = await loginAs(sut, bob.handle);
      const messaging = sut.app.get(MessagingService);
      const auth = (u: TestUser) => ({ userId: u.id, deviceId: u.deviceId });
      const { messageId } = await messaging.send(auth(alice), {
        clientMessageId: randomUUID(),
        recipientUserId: bob.id,
        kind: 'message',
        envelopes: [bob, phone].map((d) => ({
          deviceId: d.deviceId,
          registrationId: REGISTRATION_ID,
          type: 3 as const,
          ciphertext: fakeCiphertext(),
        })),
      });
      const reported: string[] = [];
      messaging.onDelivered((messages) => reported.push(...messages.map((m) => m.messageId)));
      const [[onBob], [onPhone]] = await Promise.all(
        [bob, phone].map((d) => messaging.pendingFor(d.deviceId, new Set(), 10)),
      );
      const now = jest.spyOn(Date, 'now').mockReturnValue(Date.now());
      try {
        expect(await messaging.ack(auth(bob), [onBob!.payload.id])).toBe(1);
        expect(await messaging.ack(auth(phone), [onPhone!.payload.id])).toBe(1);
      } finally {
        now.mockRestore();
      }
      expect(reported.filter((id) => id === messageId)).toEqual([messageId]);
    });

    it('sends unacked envelopes again on the next connect', async () => {
      const [alice, bob] = await pairedUsers();
      const a = await connect(alice);
      const b1 = await connect(bob);
      await b1.waitFor('queue:empty');
      const { messageId } = (await send(a, bob, [bob.deviceId])) as MessageSendAck;
      const [first] = await b1.waitFor('message:new');
      b1.close();
      const b2 = await connect(bob, true);
      await b2.waitFor('queue:empty');
      expect(b2.all('message:new')).toEqual([first]);
      expect(first!.messageId).toBe(messageId);
    });

    it('expires old envelopes with a gap marker for the device and a notice for the sender', async () => {
      const [alice, bob] = await pairedUsers();
      const a = await connect(alice, true);
      await a.waitFor('queue:empty');
      const sent = [];
      for (let i = 0; i < 3; i++) sent.push(((await send(a, bob, [bob.deviceId])) as MessageSendAck).messageId);
      const messaging = sut.app.get(MessagingService);
      const expired = await messaging.expireEnvelopes(Date.now() + sut.config.messaging.ttlMs + 1_000);
      expect(expired).toBeGreaterThanOrEqual(3);

      const [notice] = await a.waitFor('queue:notice', 1, (n) => n.kind === 'expired' && n.recipientUserId === bob.id);
      expect((notice as Extract<QueueNotice, { kind: 'expired' }>).messageIds.sort()).toEqual([...sent].sort());
      const b = await connect(bob, true);
      await b.waitFor('queue:empty');
      expect(b.all('message:new')).toEqual([]);
      expect(b.all('queue:notice')).toEqual([
        { id: expect.any(String), kind: 'gap', count: 3, serverTimestamp: expect.any(String) },
      ]);
    });
  });

  describe('typing and presence', () => {
    it('relays typing to online devices only and never queues it', async () => {
      const [alice, bob] = await pairedUsers();
      const [a, b] = [await connect(alice), await connect(bob)];
      await b.waitFor('queue:empty');
      const frame = {
        recipientUserId: bob.id,
        envelopes: [
          { deviceId: bob.deviceId, registrationId: REGISTRATION_ID, type: 2, ciphertext: fakeCiphertext(32) },
        ],
      };
      expect(await a.emitWithAck('typing:send', frame)).toEqual({ ok: true });
      const [typing] = await b.waitFor('typing:new');
      expect(typing).toMatchObject({ senderUserId: alice.id, senderDeviceId: alice.deviceId, type: 2 });
      b.close();
      expect(await a.emitWithAck('typing:send', frame)).toEqual({ ok: true });
      const later = await connect(bob);
      await later.waitFor('queue:empty');
      expect(later.all('typing:new')).toEqual([]);
      expect(later.all('message:new')).toEqual([]);
    });

    it('shows presence to pairs only and pushes changes to them', async () => {
      const [alice, bob] = await pairedUsers();
      const carol = await createUser(sut, 'carol');
      const a = await connect(alice);
      const answer = (await a.emitWithAck('presence:get', { userIds: [bob.id, carol.id] })) as { presence: unknown[] };
      expect(answer.presence).toEqual([{ userId: bob.id, online: false, lastSeenAt: null }]);
      const b = await connect(bob);
      const [update] = await a.waitFor('presence:update', 1, (p) => p.userId === bob.id && p.online);
      expect(update).toMatchObject({ userId: bob.id, online: true });
      b.close();
      const [offline] = await a.waitFor('presence:update', 1, (p) => p.userId === bob.id && !p.online);
      expect(offline.lastSeenAt).toEqual(expect.any(String));
    });

    it('pushes no presence across a block, either way, while other pairs still get it', async () => {
      const [dave, erin] = await pairedUsers();
      const frank = await createUser(sut, 'frank');
      await pair(frank, erin);
      await pair(frank, dave);
      await as(erin).post('/blocks', { userId: dave.id }).expect(204);
      const f = await connect(frank);
      const d = await connect(dave);
      await f.waitFor('presence:update', 1, (p) => p.userId === dave.id && p.online);
      const e = await connect(erin);
      // Frank hears Erin come online; Dave, blocked by her, does not (and she never heard of him).
      await f.waitFor('presence:update', 1, (p) => p.userId === erin.id && p.online);
      d.close();
      await f.waitFor('presence:update', 1, (p) => p.userId === dave.id && !p.online);
      expect(d.all('presence:update').filter((p) => p.userId === erin.id)).toEqual([]);
      expect(e.all('presence:update').filter((p) => p.userId === dave.id)).toEqual([]);
    });
  });

  it('keeps the envelope schema of every pushed message', async () => {
    const [alice, bob] = await pairedUsers();
    const a = await connect(alice);
    await send(a, bob, [bob.deviceId]);
    const b = await connect(bob);
    const [envelope] = await b.waitFor('message:new');
    const { envelopeSchema } = await import('@pairchat/messaging');
    expect(envelopeSchema.parse(envelope satisfies Envelope)).toEqual(envelope);
  });
});
