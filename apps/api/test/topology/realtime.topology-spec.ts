import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MessageSendAck, SessionDto } from '@pairchat/messaging';
import { Redis } from 'ioredis';
import { ApiProcess, startApiProcess } from '../utils/api-process.js';
import { MARIADB_URL, REDIS_URL, serviceAvailable } from '../utils/services.js';
import { connectSocket, fakeCiphertext, TestSocket } from '../utils/sockets.js';
import { createTestDatabase, TestDatabase } from '../utils/test-db.js';

const servicesUp = (await serviceAvailable('MariaDB', MARIADB_URL)) && (await serviceAvailable('Redis', REDIS_URL));
const PASSWORD = 'correct horse battery staple';
/** These devices publish no keys, so any registration id is current. */
const REGISTRATION_ID = 4242;

interface User {
  id: string;
  handle: string;
  session: SessionDto;
}

// Three api processes on one MariaDB and one Redis (sharded adapter): realtime must cross nodes and
// survive losing one.
(servicesUp ? describe : describe.skip)('realtime across three api processes', () => {
  let db: TestDatabase;
  let nodes: ApiProcess[] = [];
  const sockets: TestSocket[] = [];
  const prefix = `pctest-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    const env = {
      ...db.env,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOGIN_LIMIT_PER_IP: '10000',
      MESSAGE_RATE_LIMIT: '100000',
      // Long enough that only the invalidation can explain a pairing change reaching another node.
      MESSAGE_POLICY_CACHE_MS: '60000',
    };
    nodes = await Promise.all([startApiProcess(env), startApiProcess(env), startApiProcess(env)]);
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all(nodes.map((node) => node.stop()));
    await db?.drop();
  });

  const post = async (node: ApiProcess, path: string, body: object, token?: string) => {
    const res = await fetch(`${node.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  async function register(stem: string): Promise<User> {
    const handle = `${stem}_${randomBytes(4).toString('hex')}`;
    await post(nodes[0]!, '/auth/register', { handle, password: PASSWORD });
    return login(handle);
  }
  async function login(handle: string): Promise<User> {
    const session = (await post(nodes[1]!, '/auth/login', { handle, password: PASSWORD })) as SessionDto;
    return { id: session.user.id, handle, session };
  }
  async function pair(a: User, b: User): Promise<void> {
    const { request } = (await post(nodes[2]!, '/pairs/requests', { handle: b.handle }, a.session.accessToken)) as {
      request: { id: string };
    };
    await post(nodes[0]!, `/pairs/requests/${request.id}/accept`, {}, b.session.accessToken);
  }
  const connect = async (node: ApiProcess, user: User, autoAck = true) => {
    const socket = await connectSocket(node.url, user.session.accessToken, { autoAck });
    sockets.push(socket);
    await socket.waitFor('queue:empty');
    return socket;
  };
  const send = (from: TestSocket, to: User, deviceIds: string[]) =>
    from.emitWithAck('message:send', {
      clientMessageId: randomUUID(),
      recipientUserId: to.id,
      envelopes: deviceIds.map((deviceId) => ({
        deviceId,
        registrationId: REGISTRATION_ID,
        type: 2,
        ciphertext: fakeCiphertext(),
      })),
    }) as Promise<MessageSendAck>;

  it('delivers messages, receipts and typing across nodes, subscribing only where devices are', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const bobLaptop = await login(bob.handle);
    await pair(alice, bob);
    const a = await connect(nodes[0]!, alice);
    const b = await connect(nodes[1]!, bob);
    const bl = await connect(nodes[2]!, bobLaptop);

    const ack = await send(a, bob, [bob.session.device.id, bobLaptop.session.device.id]);
    expect(ack).toMatchObject({ ok: true, duplicate: false });
    const [onPhone] = await b.waitFor('message:new');
    const [onLaptop] = await bl.waitFor('message:new');
    expect(onPhone!.messageId).toBe(ack.messageId);
    expect(onLaptop!.messageId).toBe(ack.messageId);
    const statuses = await a.waitFor('message:status', 1);
    expect(statuses.map((s) => s.status)).toEqual(['delivered']);

    await a.emitWithAck('typing:send', {
      recipientUserId: bob.id,
      envelopes: [
        {
          deviceId: bobLaptop.session.device.id,
          registrationId: REGISTRATION_ID,
          type: 2,
          ciphertext: fakeCiphertext(16),
        },
      ],
    });
    const [typing] = await bl.waitFor('typing:new');
    expect(typing).toMatchObject({ senderUserId: alice.id });
    expect(b.all('typing:new')).toEqual([]);

    // Sharded pub/sub with dynamic subscriptions: each device room is its own shard channel.
    const redis = new Redis(REDIS_URL);
    const channels = (await redis.call('PUBSUB', 'SHARDCHANNELS', `${prefix}socket.io*`)) as string[];
    await redis.quit();
    expect(channels).toEqual(
      expect.arrayContaining([expect.stringContaining(`device:${bobLaptop.session.device.id}`)]),
    );
  });

  it('applies a block, an unblock and an unpair made on one node to sends on another at once', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const { request } = (await post(
      nodes[2]!,
      '/pairs/requests',
      { handle: bob.handle },
      alice.session.accessToken,
    )) as {
      request: { id: string };
    };
    const pairDto = (await post(nodes[0]!, `/pairs/requests/${request.id}/accept`, {}, bob.session.accessToken)) as {
      id: string;
    };
    const a = await connect(nodes[1]!, alice);
    const outcome = async () => {
      const answer = (await send(a, bob, [bob.session.device.id])) as
        MessageSendAck | { ok: false; error: { code: string } };
      return answer.ok ? 'sent' : answer.error.code;
    };
    /** Polls for up to 1 s (pub/sub is asynchronous), far below the 60 s cache. */
    const becomes = async (expected: string) => {
      const deadline = Date.now() + 1_000;
      let last = await outcome();
      while (last !== expected && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        last = await outcome();
      }
      return last;
    };
    const remove = (node: ApiProcess, path: string, token: string) =>
      fetch(`${node.url}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
      );

    expect(await outcome()).toBe('sent'); // node 1 now caches "paired"
    await post(nodes[0]!, '/blocks', { userId: alice.id }, bob.session.accessToken);
    expect(await becomes('NOT_PAIRED')).toBe('NOT_PAIRED');
    expect(await remove(nodes[2]!, `/blocks/${alice.id}`, bob.session.accessToken)).toBe(204);
    expect(await becomes('sent')).toBe('sent');
    expect(await remove(nodes[0]!, `/pairs/${pairDto.id}`, bob.session.accessToken)).toBe(204);
    expect(await becomes('NOT_PAIRED')).toBe('NOT_PAIRED');
  });

  it('loses nothing when a node dies: its clients reconnect elsewhere and get every queued message once', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    await pair(alice, bob);
    const a = await connect(nodes[0]!, alice);
    const victim = nodes[2]!;
    const b = await connect(victim, bob, false);

    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await send(a, bob, [bob.session.device.id])).messageId);
    await b.waitFor('message:new', 5); // received, never acked
    await victim.stop('SIGKILL');
    for (let i = 0; i < 5; i++) sent.push((await send(a, bob, [bob.session.device.id])).messageId);

    const again = await connect(nodes[1]!, bob);
    const received = again.all('message:new');
    expect(received.map((e) => e.messageId)).toEqual(sent);
    expect(new Set(received.map((e) => e.id)).size).toBe(10);
    const reconnected = await connect(nodes[0]!, bob);
    expect(reconnected.all('message:new')).toEqual([]);
  });
});
