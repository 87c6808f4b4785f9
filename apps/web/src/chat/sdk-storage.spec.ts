// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { HANDLED_IDS_KEPT } from '@pairchat/messaging';
import { Vault } from '@/crypto/vault.js';
import { HistoryStore } from './history-store.js';
import { HANDLED_PAGE_SIZE, historyStorage } from './sdk-storage.js';

let counter = 0;
const KEY = 'pairchat.chat.u.d:handled';

async function aStorage() {
  const vault = await Vault.open({ name: `sdk-storage-${Date.now()}-${++counter}` });
  return { vault, history: new HistoryStore(vault), sut: historyStorage(new HistoryStore(vault), vault) };
}

/** What the SDK does per envelope: push the id, keep the last HANDLED_IDS_KEPT, write the list. */
async function handle(sut: ReturnType<typeof historyStorage>, list: string[], id: string) {
  list.push(id);
  if (list.length > HANDLED_IDS_KEPT) list.shift();
  await sut.setItem(KEY, JSON.stringify(list));
}

describe(historyStorage.name, () => {
  it('writes one small page per handled envelope, strictly durable, and reads the window back', async () => {
    const { vault, sut } = await aStorage();
    const writes = vi.spyOn(vault, 'writeMany');
    const list: string[] = [];
    const total = HANDLED_IDS_KEPT + 250;
    for (let i = 0; i < total; i++) await handle(sut, list, `envelope-${i}`);

    expect(writes).toHaveBeenCalledTimes(total);
    for (const [puts, , options] of writes.mock.calls) {
      expect(puts).toHaveLength(1);
      expect(puts[0]!.plaintext.length).toBeLessThan(HANDLED_PAGE_SIZE * 40);
      expect(options).toEqual({ durability: 'strict' });
    }

    // A reload: the stored ids include the SDK's whole window, newest last.
    const reloaded = historyStorage(new HistoryStore(vault), vault);
    const stored = JSON.parse((await reloaded.getItem(KEY))!) as string[];
    expect(stored.slice(-HANDLED_IDS_KEPT)).toEqual(list);
    expect(stored.length).toBeLessThanOrEqual(HANDLED_IDS_KEPT + HANDLED_PAGE_SIZE);
    await handle(reloaded, list, 'after-reload');
    expect(JSON.parse((await historyStorage(new HistoryStore(vault), vault).getItem(KEY))!).at(-1)).toBe(
      'after-reload',
    );
    vault.close();
  }, 60_000);

  it('moves a list stored the old way (one JSON record) into pages on the first write', async () => {
    const { vault, history, sut } = await aStorage();
    await history.setState(`sdk:${KEY}`, JSON.stringify(['old-1', 'old-2']));

    const list = JSON.parse((await sut.getItem(KEY))!) as string[];
    expect(list).toEqual(['old-1', 'old-2']);
    await handle(sut, list, 'new-1');

    expect(await history.getState(`sdk:${KEY}`)).toBeNull();
    expect(JSON.parse((await historyStorage(history, vault).getItem(KEY))!)).toEqual(['old-1', 'old-2', 'new-1']);
    vault.close();
  });

  it('keeps other SDK keys (the outbox) as they were', async () => {
    const { vault, history, sut } = await aStorage();
    await sut.setItem('pairchat.chat.u.d:outbox', '[]');
    expect(await history.getState('sdk:pairchat.chat.u.d:outbox')).toBe('[]');
    expect(await sut.getItem('pairchat.chat.u.d:outbox')).toBe('[]');
    await sut.removeItem('pairchat.chat.u.d:outbox');
    expect(await sut.getItem('pairchat.chat.u.d:outbox')).toBeNull();
    vault.close();
  });
});
