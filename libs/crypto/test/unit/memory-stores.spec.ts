import { describe, expect, it } from '@jest/globals';
import { inMemoryStores } from '../support/memory-stores.js';
import { runStoreContract } from '../support/store-contract.js';

runStoreContract('in-memory (one-time Kyber keys)', async (ikp, reg) => inMemoryStores(ikp, reg));
runStoreContract('in-memory (last-resort Kyber keys)', async (ikp, reg) => {
  const s = inMemoryStores(ikp, reg);
  s.kyberPreKey.lastResort.add(5);
  return s;
});

describe('in-memory Kyber store', () => {
  it('keeps a last-resort key and refuses a replayed base key', async () => {
    const s = inMemoryStores(new Uint8Array(0), 1);
    s.kyberPreKey.lastResort.add(1);
    await s.kyberPreKey.storeKyberPreKey(1, Uint8Array.of(1));
    await s.kyberPreKey.markKyberPreKeyUsed(1, 2, Uint8Array.of(5, 1));
    expect(await s.kyberPreKey.loadKyberPreKey(1)).toEqual(Uint8Array.of(1));
    await expect(s.kyberPreKey.markKyberPreKeyUsed(1, 2, Uint8Array.of(5, 1))).rejects.toThrow('reused base key');
  });
});
