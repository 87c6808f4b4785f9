import { describe, expect, it, jest } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import type { DevicesService } from '../devices/devices.service.js';
import type { KeysService } from '../keys/keys.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { PairingService } from '../pairing/pairing.service.js';
import type { SocketEmitter } from '../realtime/socket-emitter.js';
import { MessagingService, type MessageSendRequest } from './messaging.service.js';
import type { SendRateLimiter } from './send-rate-limiter.js';

const ALICE = { userId: 'a0000000-0000-4000-8000-000000000001', deviceId: 'a0000000-0000-4000-8000-0000000000d1' };
const ALICE_LAPTOP = 'a0000000-0000-4000-8000-0000000000d3';
const BOB = { userId: 'b0000000-0000-4000-8000-000000000002', deviceId: 'b0000000-0000-4000-8000-0000000000d2' };

/** An in-memory stand-in for the two tables, enforcing the unique client message id like the index. */
function fakeStore() {
  const messages: { id: string; senderDeviceId: string; clientMessageId: string; createdAt: number }[] = [];
  const envelopes: { id: number; messageId: string; deviceId: string }[] = [];
  let seq = 0;
  const inserts = { messages: 0, envelopes: 0 };
  const manager = {
    query: jest.fn(async (sql: string, params: unknown[]) => {
      if (sql.startsWith('INSERT INTO `messages`')) {
        const rows = [];
        for (let i = 0; i < params.length; i += 8) rows.push(params.slice(i, i + 8));
        const batch = rows.map(
          ([id, , senderDeviceId, clientMessageId, , , createdAt]) =>
            ({ id, senderDeviceId, clientMessageId, createdAt }) as (typeof messages)[0],
        );
        const taken = (m: (typeof messages)[0]) =>
          messages.some((x) => x.senderDeviceId === m.senderDeviceId && x.clientMessageId === m.clientMessageId);
        if (batch.some(taken))
          throw new QueryFailedError(sql, [], Object.assign(new Error('dup'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }));
        messages.push(...batch);
        inserts.messages += batch.length;
        return [];
      }
      if (sql.startsWith('INSERT INTO `envelopes`')) {
        const insertId = seq + 1;
        for (let i = 0; i < params.length; i += 11)
          envelopes.push({ id: ++seq, deviceId: params[i] as string, messageId: params[i + 3] as string });
        inserts.envelopes += params.length / 11;
        return { insertId };
      }
      throw new Error(`unexpected query ${sql}`);
    }),
  };
  const repo = {
    manager: {
      // (isolation level, work) on MySQL, like TypeORM's EntityManager#transaction
      transaction: (...args: unknown[]) => (args.at(-1) as (m: typeof manager) => Promise<unknown>)(manager),
    },
    findOneBy: async (where: { senderDeviceId: string; clientMessageId: string }) =>
      messages.find((m) => m.senderDeviceId === where.senderDeviceId && m.clientMessageId === where.clientMessageId) ??
      null,
  };
  return { repo, inserts };
}

function setup(canCommunicate = true, flushMaxRows = 100, aliceDevices = [ALICE.deviceId]) {
  const store = fakeStore();
  const config = {
    // SQLite: the TypeORM write path, which the fake store speaks (MySQL batches go through MysqlBatchWriter).
    database: { type: 'sqlite' },
    messaging: {
      maxCiphertextBytes: 1024,
      maxDevicesPerMessage: 4,
      ttlMs: 1000,
      expirySweepMs: 1000,
      flushIntervalMs: 1,
      flushMaxRows,
      flushMaxBytes: 1_000_000,
      policyCacheMs: 0,
    },
  } as unknown as AppConfig;
  const devices = {
    list: async (userId: string) =>
      userId === BOB.userId
        ? [{ id: BOB.deviceId, registrationId: null }]
        : aliceDevices.map((id) => ({ id, registrationId: null })),
  };
  const emitter = { send: jest.fn(), sendVolatile: jest.fn(), sendExcept: jest.fn() };
  const sut = new MessagingService(
    store.repo as never,
    store.repo as never,
    { canCommunicate: async () => canCommunicate, onChange: () => undefined } as unknown as PairingService,
    devices as unknown as DevicesService,
    { devicesWithKeys: async (ids: string[]) => new Set(ids) } as unknown as KeysService,
    emitter as unknown as SocketEmitter,
    { consume: async () => undefined } as unknown as SendRateLimiter,
    config,
    new MetricsService(),
    null,
  );
  return { sut, store, emitter };
}

const request = (clientMessageId: string): MessageSendRequest => ({
  clientMessageId,
  recipientUserId: BOB.userId,
  kind: 'message',
  envelopes: [{ deviceId: BOB.deviceId, registrationId: 1, type: 3, ciphertext: 'AAAA' }],
});

describe(MessagingService.name, () => {
  it('stores a resend in flight once and answers both with the same ack', async () => {
    const { sut, store, emitter } = setup();
    const [first, second] = await Promise.all([sut.send(ALICE, request('c1')), sut.send(ALICE, request('c1'))]);
    expect(second).toEqual({ ...first, duplicate: true });
    expect(store.inserts).toEqual({ messages: 1, envelopes: 1 });
    expect(emitter.send.mock.calls.filter(([event]) => event === 'message:new')).toHaveLength(1);
  });

  it('answers a later resend with the first ack and stores nothing', async () => {
    const { sut, store } = setup();
    const first = await sut.send(ALICE, request('c1'));
    const again = await sut.send(ALICE, request('c1'));
    expect(again).toEqual({ ...first, duplicate: true });
    expect(store.inserts).toEqual({ messages: 1, envelopes: 1 });
  });

  it('writes the other sends of a batch when one of them is a duplicate', async () => {
    const { sut, store } = setup();
    const first = await sut.send(ALICE, request('c1'));
    // Another node stored c1 already: here it arrives in the same batch as c2 and c3.
    const answers = await Promise.all([
      sut.send(ALICE, request('c2')),
      (sut as unknown as { store: MessagingService['send'] }).store(ALICE, request('c1')),
      sut.send(ALICE, request('c3')),
    ]);
    expect(answers.map((a) => a.duplicate)).toEqual([false, true, false]);
    expect(answers[1]!.messageId).toBe(first.messageId);
    expect(store.inserts.messages).toBe(3);
  });

  it('refuses unpaired users without storing', async () => {
    const { sut, store } = setup(false);
    await expect(sut.send(ALICE, request('c1'))).rejects.toMatchObject({ code: 'NOT_PAIRED' });
    expect(store.inserts).toEqual({ messages: 0, envelopes: 0 });
  });

  it('checks limits before anything else', async () => {
    const { sut, store } = setup();
    const big = {
      ...request('c1'),
      envelopes: [{ deviceId: BOB.deviceId, type: 3 as const, ciphertext: 'A'.repeat(1_368) + '==' }],
    };
    await expect(sut.send(ALICE, big)).rejects.toMatchObject({ code: 'CIPHERTEXT_TOO_LARGE' });
    expect(store.inserts.messages).toBe(0);
  });

  it('keeps a SQLite batch under the 32,766 bound-variable limit whatever MESSAGE_FLUSH_MAX_ROWS says', () => {
    const { sut } = setup(true, 10_000);
    const { maxRows } = (sut as unknown as { sendLimits: { maxRows: number } }).sendLimits;
    expect(maxRows * 11).toBeLessThanOrEqual(32_766);
  });

  it("tells the sender's other devices it was sent, never the sending device (even while it drains)", async () => {
    const { sut, emitter } = setup(true, 100, [ALICE.deviceId, ALICE_LAPTOP]);
    const withSyncCopy = request('c-status');
    withSyncCopy.envelopes.push({ ...withSyncCopy.envelopes[0]!, deviceId: ALICE_LAPTOP });
    await sut.send(ALICE, withSyncCopy);
    expect(emitter.sendExcept).toHaveBeenCalledWith(
      'message:status',
      `user:${ALICE.userId}`,
      `device-control:${ALICE.deviceId}`,
      expect.objectContaining({ clientMessageId: 'c-status', status: 'sent' }),
    );
  });
});
