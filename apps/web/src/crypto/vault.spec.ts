// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deleteDatabase, VAULT_DB_VERSION, Vault, VaultBlockedError } from './vault.js';

let counter = 0;
const aName = () => `vault-test-${Date.now()}-${++counter}`;

function openRaw(name: string, version: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains('local')) req.result.createObjectStore('local');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

describe(Vault.name, () => {
  afterEach(() => vi.restoreAllMocks());

  it('fails an upgrade an old tab blocks, and closes the connection that opens after it', async () => {
    const name = aName();
    const old = await openRaw(name, VAULT_DB_VERSION - 1); // an old tab that ignores versionchange

    await expect(Vault.open({ name })).rejects.toBeInstanceOf(VaultBlockedError);
    old.close(); // the old tab goes; the abandoned open request now succeeds in the background

    // Nothing may still hold the database open: deleting (a wipe) completes.
    await expect(
      Promise.race([
        deleteDatabase(indexedDB, name),
        new Promise((_, reject) => setTimeout(() => reject(new Error('delete blocked')), 2_000)),
      ]),
    ).resolves.toBeUndefined();
  });

  it('closes and tells its listeners when another tab upgrades the database', async () => {
    const name = aName();
    const sut = await Vault.open({ name });
    const told = vi.fn();
    sut.onVersionChange(told);

    const newer = await openRaw(name, VAULT_DB_VERSION + 1);

    expect(told).toHaveBeenCalledTimes(1);
    newer.close();
  });

  it('commits with the durability asked for', async () => {
    const sut = await Vault.open({ name: aName() });
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const bytes = new TextEncoder().encode('x');

    await sut.writeMany([{ store: 'chat', key: 'a', plaintext: bytes }], [], { durability: 'strict' });
    await sut.put('chat', 'b', bytes, { durability: 'strict' });
    await sut.put('chat', 'c', bytes);

    const writes = transaction.mock.calls.filter((call) => call[1] === 'readwrite');
    expect(writes.map((call) => call[2])).toEqual([{ durability: 'strict' }, { durability: 'strict' }, undefined]);
    expect(new TextDecoder().decode((await sut.get('chat', 'b'))!)).toBe('x');
    sut.close();
  });
});
