import { describe, expect, it } from '@jest/globals';
import type { MessageSendPayload } from '../realtime/events.js';
import { Outbox } from './outbox.js';
import { MemoryStorage } from './storage.js';

const payload = (clientMessageId: string): MessageSendPayload => ({
  clientMessageId,
  recipientUserId: '8f14e45f-ceea-467a-9af0-000000000001',
  envelopes: [{ deviceId: '8f14e45f-ceea-467a-9af0-000000000002', registrationId: 7, type: 2, ciphertext: 'AAAA' }],
});

describe(Outbox.name, () => {
  it('keeps the first entry when the same client message id is queued twice', async () => {
    const sut = new Outbox(new MemoryStorage(), 'k');
    expect(await sut.add(payload('a'), 1)).toBe(true);
    expect(await sut.add({ ...payload('a'), recipientUserId: '8f14e45f-ceea-467a-9af0-000000000009' }, 2)).toBe(false);
    expect(sut.list()).toEqual([{ payload: payload('a'), queuedAt: 1, attempts: 0 }]);
  });

  it('survives a reload in queue order, attempts included', async () => {
    const storage = new MemoryStorage();
    const first = new Outbox(storage, 'k');
    await first.add(payload('a'), 1);
    await first.add(payload('b'), 2);
    await first.add(payload('c'), 3);
    await first.attempted('b');
    await first.remove('a');

    const sut = new Outbox(storage, 'k');
    await sut.load();
    expect(sut.list().map((e) => [e.payload.clientMessageId, e.attempts])).toEqual([
      ['b', 1],
      ['c', 0],
    ]);
  });

  it('drops stored entries that no longer parse instead of sending them', async () => {
    const storage = new MemoryStorage();
    storage.setItem(
      'k',
      JSON.stringify([
        { payload: { clientMessageId: 'bad id!' }, queuedAt: 1 },
        { payload: payload('ok'), queuedAt: 2 },
      ]),
    );
    const sut = new Outbox(storage, 'k');
    await sut.load();
    expect(sut.list().map((e) => e.payload.clientMessageId)).toEqual(['ok']);
  });

  it('ignores storage that is not JSON', async () => {
    const storage = new MemoryStorage();
    storage.setItem('k', '{not json');
    const sut = new Outbox(storage, 'k');
    await sut.load();
    expect(sut.size).toBe(0);
  });
});
