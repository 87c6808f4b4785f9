// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DeviceStores } from '../crypto/idb-stores.js';
import { Vault } from '../crypto/vault.js';
import { compareItems, HistoryStore, nextStatus } from './history-store.js';
import type { ChatItem } from './types.js';

const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
const CAROL = '11111111-2222-4333-8444-555555555555';
let sequence = 0;
const freshName = () => `history-test-${Date.now()}-${++sequence}`;

function aRow(overrides: Partial<ChatItem> = {}): ChatItem {
  return {
    id: `m${++sequence}`,
    conversationId: BOB,
    kind: 'text',
    direction: 'in',
    text: 'hello',
    sentAt: 1_000,
    serverAt: 1_000,
    status: null,
    read: false,
    messageId: null,
    ...overrides,
  };
}

async function fresh(name = freshName()) {
  let clock = 10_000;
  const vault = await Vault.open({ name });
  const sut = new HistoryStore(vault, () => clock++);
  return { sut, vault, name };
}

describe(HistoryStore.name, () => {
  it('stores a row once per (conversation, id) and keeps other conversations apart', async () => {
    const { sut } = await fresh();
    const row = aRow({ id: 'same' });
    expect(await sut.insert(row)).not.toBeNull();
    expect(await sut.insert({ ...row, text: 'changed' })).toBeNull();
    expect(await sut.insert({ ...row, conversationId: CAROL })).not.toBeNull();
    expect((await sut.get(BOB, 'same'))!.item.text).toBe('hello');
    expect((await sut.page(BOB, 10)).records).toHaveLength(1);
    expect((await sut.page(CAROL, 10)).records).toHaveLength(1);
  });

  it('pages newest first, each page oldest first, until the first row', async () => {
    const { sut } = await fresh();
    for (let i = 0; i < 25; i++) await sut.insert(aRow({ id: `r${String(i).padStart(2, '0')}`, text: `#${i}` }));
    const first = await sut.page(BOB, 10);
    expect(first.records.map((r) => r.item.text)).toEqual(Array.from({ length: 10 }, (_, i) => `#${i + 15}`));
    expect(first.hasMore).toBe(true);
    const second = await sut.page(BOB, 10, first.cursor);
    expect(second.records.map((r) => r.item.text)).toEqual(Array.from({ length: 10 }, (_, i) => `#${i + 5}`));
    const last = await sut.page(BOB, 10, second.cursor);
    expect(last.records.map((r) => r.item.text)).toEqual(['#0', '#1', '#2', '#3', '#4']);
    expect(last.hasMore).toBe(false);
  });

  it('counts unread incoming texts and keeps the last row per conversation', async () => {
    const { sut } = await fresh();
    await sut.insert(aRow({ id: 'a' }));
    await sut.insert(aRow({ id: 'b' }));
    await sut.insert(aRow({ id: 'mine', direction: 'out', status: 'pending', read: false }));
    expect(await sut.meta(BOB)).toMatchObject({ unread: 2, lastItem: { id: 'mine' } });
    await sut.update(BOB, 'a', (i) => ({ ...i, read: true }));
    await sut.update(BOB, 'a', (i) => ({ ...i, read: true })); // twice: counted once
    expect((await sut.meta(BOB)).unread).toBe(1);
    await sut.update(BOB, 'mine', (i) => ({ ...i, status: 'sent' }));
    expect((await sut.meta(BOB)).lastItem).toMatchObject({ id: 'mine', status: 'sent' });
    expect((await sut.unreadRows(BOB, 1)).map((i) => i.id)).toEqual(['b']);
  });

  it('finds rows by server message id and by client message id', async () => {
    const { sut } = await fresh();
    await sut.insert(aRow({ id: 'in-1', messageId: '8f14e45f-ceea-467a-9af0-000000000001' }));
    await sut.insert(aRow({ id: 'out-1', direction: 'out', status: 'pending' }));
    await sut.update(BOB, 'out-1', (i) => ({ ...i, messageId: '8f14e45f-ceea-467a-9af0-000000000002' }));
    expect((await sut.byMessageId('8f14e45f-ceea-467a-9af0-000000000001'))!.item.id).toBe('in-1');
    expect((await sut.byMessageId('8f14e45f-ceea-467a-9af0-000000000002'))!.item.id).toBe('out-1');
    expect((await sut.byClientId('out-1'))!.item.conversationId).toBe(BOB);
    expect(await sut.byClientId('in-1')).toBeNull(); // only our own sends answer status events
  });

  it('finds a row by every client and server id it was sent under, and by an entry of the old index form', async () => {
    const { sut, vault } = await fresh();
    const row = aRow({ id: 'row-1', direction: 'out', status: 'sent', messageId: 'server-1' });
    await sut.insert(row, { local: true, state: { key: 'send:row-1', value: { n: 1 } } });
    await sut.link(
      BOB,
      'row-1',
      { clientMessageId: 'retry-1', messageId: 'server-2' },
      { key: 'send:retry-1', value: 2 },
    );
    expect((await sut.byClientId('retry-1'))?.item.id).toBe('row-1');
    expect((await sut.byMessageId('server-2'))?.item.id).toBe('row-1');
    expect((await sut.byMessageId('server-1'))?.item.id).toBe('row-1');
    expect(await sut.getState('send:retry-1')).toBe(2);
    // Before this change the client index held only the conversation (the row id was the client id).
    await vault.put('historyIndex', `c\u0001row-1`, new TextEncoder().encode(JSON.stringify(BOB)));
    expect((await sut.byClientId('row-1'))?.item.id).toBe('row-1');
    expect(await sut.byClientId('unknown')).toBeNull();
  });

  it('replaces a placeholder in place, once', async () => {
    const { sut } = await fresh();
    await sut.insert(aRow({ id: 'before' }));
    await sut.insert(aRow({ id: 'undecryptable-x', kind: 'undecryptable', text: null }));
    await sut.insert(aRow({ id: 'after' }));
    const text = aRow({ id: 'client-id', text: 'recovered' });
    expect(await sut.replace(BOB, 'undecryptable-x', text)).not.toBeNull();
    expect(await sut.replace(BOB, 'undecryptable-x', text)).toBeNull();
    expect((await sut.page(BOB, 10)).records.map((r) => r.item.id)).toEqual(['before', 'client-id', 'after']);
    expect(await sut.get(BOB, 'undecryptable-x')).toBeNull();
    expect((await sut.meta(BOB)).unread).toBe(3);
  });

  it('writes a row together with the send that carries it, or neither', async () => {
    const { sut, vault } = await fresh();
    await sut.insert(aRow({ id: 'out-1', direction: 'out', status: 'pending' }), {
      local: true,
      state: { key: 'send:out-1', value: { clientMessageId: 'out-1' } },
    });
    expect(await sut.getState('send:out-1')).toEqual({ clientMessageId: 'out-1' });
    expect((await sut.get(BOB, 'out-1'))!.local).toBe(true);

    const bad = { store: 'history' as const, key: {} as unknown as string, plaintext: new Uint8Array(1) };
    await expect(
      vault.writeMany([{ store: 'chat', key: 'state\u0001lonely', plaintext: new Uint8Array(1) }, bad]),
    ).rejects.toThrow();
    expect(await vault.get('chat', 'state\u0001lonely')).toBeNull();
  });

  it('survives a reload, stores no plaintext, and is wiped with the device', async () => {
    const { sut, vault, name } = await fresh();
    await sut.insert(aRow({ id: 'secret', text: 'meet me at the old oak' }));
    await sut.setState('send:x', { content: 'meet me at the old oak' });
    vault.close();

    const reopened = await fresh(name);
    expect((await reopened.sut.get(BOB, 'secret'))!.item.text).toBe('meet me at the old oak');
    expect(await reopened.sut.getState('send:x')).toEqual({ content: 'meet me at the old oak' });
    reopened.vault.close();

    const raw = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const dump: unknown[] = [];
    for (const store of ['history', 'historyIndex', 'chat']) {
      const values = await new Promise<unknown[]>((resolve) => {
        const req = raw.transaction(store).objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result);
      });
      dump.push(...values);
    }
    raw.close();
    expect(dump.length).toBeGreaterThan(3);
    const stored = dump.map((v) => String.fromCharCode(...(v as { ciphertext: Uint8Array }).ciphertext));
    expect(stored.every((text) => !text.includes('old oak') && !text.includes(BOB))).toBe(true);

    const device = await DeviceStores.open({ name });
    await device.wipe();
    const after = await fresh(name);
    expect(await after.sut.get(BOB, 'secret')).toBeNull();
    expect(await after.sut.conversations()).toEqual([]);
  });
});

describe(nextStatus.name, () => {
  it('only moves forward, and reaches failed from pending only', () => {
    expect(nextStatus('pending', 'sent')).toBe('sent');
    expect(nextStatus('read', 'delivered')).toBe('read');
    expect(nextStatus('delivered', 'sent')).toBe('delivered');
    expect(nextStatus('pending', 'failed')).toBe('failed');
    expect(nextStatus('sent', 'failed')).toBe('sent');
    expect(nextStatus('failed', 'read')).toBe('failed');
    expect(nextStatus(null, 'sent')).toBe('sent');
  });

  it('lets the server expire a sent message to failed, but not a delivered one', () => {
    expect(nextStatus('sent', 'failed', true)).toBe('failed');
    expect(nextStatus('delivered', 'failed', true)).toBe('delivered');
  });
});

describe(compareItems.name, () => {
  it('orders by server time, then sender time for rows not acked yet, then id', () => {
    const rows = [
      aRow({ id: 'b', serverAt: 5 }),
      aRow({ id: 'pending', serverAt: null, sentAt: 7 }),
      aRow({ id: 'a', serverAt: 5 }),
      aRow({ id: 'first', serverAt: 1 }),
    ];
    expect(rows.sort(compareItems).map((r) => r.id)).toEqual(['first', 'a', 'b', 'pending']);
  });
});
