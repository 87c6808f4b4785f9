import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import {
  decodeContent,
  encodeContent,
  MemoryStorage,
  PairchatClient,
  type Content,
  type Envelope,
  type MessageStatus,
  type PairchatClientOptions,
} from '@pairchat/messaging';
import request from 'supertest';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, TestUser } from './utils/users.js';

// The SDK against the real server. Encryption is out of scope here: the "ciphertext" is the encoded
// content itself (the server cannot tell the difference, which is the point).
const seal = (content: Content) => Buffer.from(encodeContent(content)).toString('base64');
const open = (envelope: Envelope) => decodeContent(Buffer.from(envelope.ciphertext, 'base64'));

/** keyUpload's default registration id; a device without keys takes any. */
const REGISTRATION_ID = 4242;

describeE2E('client SDK', () => {
  let sut: TestApp;
  let url: string;
  const clients: PairchatClient[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000', MESSAGE_RATE_LIMIT: '100000' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
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
  const client = (user: TestUser, options: Partial<PairchatClientOptions> = {}) => {
    const c = new PairchatClient({
      url,
      getAccessToken: () => user.session.accessToken,
      storage: new MemoryStorage(),
      onEnvelope: (envelope) => open(envelope),
      socket: { transports: ['websocket'] },
      backoff: { minDelayMs: 20, maxDelayMs: 200, jitter: 0 },
      ...options,
    });
    clients.push(c);
    return c;
  };
  const until = async (check: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const message = (id: string, text: string): Content => ({ v: 1, t: 'message', id, text, sentAt: Date.now() });

  it('keeps a message sent offline across a reload, then sends it once and tracks it to read', async () => {
    const [alice, bob] = await pairedUsers();
    const storage = new MemoryStorage();
    const offline = client(alice, { storage });
    const cmid = randomUUID();
    await offline.send({
      clientMessageId: cmid,
      recipientUserId: bob.id,
      envelopes: [
        { deviceId: bob.deviceId, registrationId: REGISTRATION_ID, type: 3, ciphertext: seal(message(cmid, 'hi')) },
      ],
    });
    expect(offline.pending()).toHaveLength(1);
    offline.close();

    const received: Content[] = [];
    const bobClient = client(bob, {
      onEnvelope: (e) => {
        const c = open(e);
        received.push(c);
        return c;
      },
    });
    await bobClient.connect();

    const reloaded = client(alice, { storage });
    const statuses: MessageStatus[] = [];
    let messageId = '';
    reloaded.on('sent', (_id, ack) => (messageId = ack.messageId));
    reloaded.on('status', (change) => change.clientMessageId === cmid && statuses.push(change.status));
    await reloaded.connect();
    await until(() => statuses.includes('delivered'));
    expect(reloaded.pending()).toEqual([]);
    expect(received).toEqual([expect.objectContaining({ t: 'message', id: cmid, text: 'hi' })]);

    // Bob opens the conversation: an end-to-end encrypted read receipt, queued like a message.
    await bobClient.send({
      clientMessageId: randomUUID(),
      recipientUserId: alice.id,
      kind: 'receipt',
      envelopes: [
        {
          deviceId: alice.deviceId,
          registrationId: REGISTRATION_ID,
          type: 2,
          ciphertext: seal({ v: 1, t: 'receipt', type: 'read', messageIds: [messageId], sentAt: Date.now() }),
        },
      ],
    });
    await until(() => statuses.includes('read'));
    expect(statuses).toEqual(['pending', 'sent', 'delivered', 'read']);
  });

  it('refreshes an expired token on reconnect and carries on', async () => {
    const [alice] = await pairedUsers();
    const jwt = sut.app.get(JwtService);
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await jwt.signAsync({
      sub: alice.id,
      did: alice.deviceId,
      jti: randomUUID(),
      iat: past,
      exp: past + 60,
    });
    let calls = 0;
    const c = client(alice, { getAccessToken: () => (calls++ === 0 ? expired : alice.session.accessToken) });
    const failures: string[] = [];
    c.on('auth-failed', (code) => failures.push(code));
    await c.connect();
    await until(() => c.connected);
    expect(failures).toEqual(['TOKEN_EXPIRED']);
  });

  it('reconnects with a fresh token when the server closes the socket at token expiry', async () => {
    const [alice, bob] = await pairedUsers();
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await sut.app
      .get(JwtService)
      .signAsync({ sub: alice.id, did: alice.deviceId, jti: randomUUID(), iat: now, exp: now + 2 });
    const tokens = [shortLived];
    const c = client(alice, { getAccessToken: () => tokens.shift() ?? alice.session.accessToken });
    const failures: string[] = [];
    let connects = 0;
    c.on('auth-failed', (code) => failures.push(code));
    c.on('connected', () => connects++);
    await c.connect();
    await until(() => connects === 2, 8_000);
    expect(failures).toEqual(['TOKEN_EXPIRED']);
    expect(c.connected).toBe(true);

    const received: string[] = [];
    const b = client(bob, { onEnvelope: (e) => (received.push(e.messageId), open(e)) });
    await b.connect();
    const cmid = randomUUID();
    await c.send({
      clientMessageId: cmid,
      recipientUserId: bob.id,
      envelopes: [
        {
          deviceId: bob.deviceId,
          registrationId: REGISTRATION_ID,
          type: 3,
          ciphertext: seal(message(cmid, 'after refresh')),
        },
      ],
    });
    await until(() => received.length === 1);
  });

  it('reports a refused send as failed without retrying it', async () => {
    const [alice] = await pairedUsers();
    const stranger = await createUser(sut, 'stranger');
    const c = client(alice);
    const failed: string[] = [];
    c.on('send-failed', (f) => failed.push(f.error.code));
    await c.connect();
    const cmid = randomUUID();
    await c.send({
      clientMessageId: cmid,
      recipientUserId: stranger.id,
      envelopes: [
        { deviceId: stranger.deviceId, registrationId: REGISTRATION_ID, type: 3, ciphertext: seal(message(cmid, 'x')) },
      ],
    });
    await until(() => failed.length > 0);
    expect(failed).toEqual(['NOT_PAIRED']);
    expect(c.statuses.get(cmid)).toBe('failed');
    expect(c.pending()).toEqual([]);
  });
});
