import { describe, expect, it, jest } from '@jest/globals';
import type { DevicesService } from '../devices/devices.service.js';
import type { PairingService } from '../pairing/pairing.service.js';
import { MAX_PAIR_TTL_MS, SendPolicy } from './send-policy.js';

describe(SendPolicy.name, () => {
  const setup = (ttlMs: number) => {
    let now = 1_000;
    const canCommunicate = jest.fn(async (_a: string, _b: string) => true);
    const list = jest.fn(async (userId: string, _current: string) => [
      { id: `${userId}-d1`, registrationId: 1, name: 'x', createdAt: '', lastSeenAt: '', current: false },
    ]);
    const devicesWithKeys = jest.fn(async (ids: string[]) => new Set(ids));
    const sut = new SendPolicy(
      { canCommunicate } as unknown as PairingService,
      { list } as unknown as DevicesService,
      { devicesWithKeys },
      ttlMs,
      () => now,
    );
    return { sut, canCommunicate, list, devicesWithKeys, advance: (ms: number) => (now += ms) };
  };

  it('asks once per pair within its ttl (six device-list ttls), in either direction, and again after it', async () => {
    const { sut, canCommunicate, advance } = setup(1_000);
    await Promise.all([sut.canCommunicate('a', 'b'), sut.canCommunicate('b', 'a'), sut.canCommunicate('a', 'b')]);
    expect(canCommunicate).toHaveBeenCalledTimes(1);
    advance(6_001);
    await sut.canCommunicate('a', 'b');
    expect(canCommunicate).toHaveBeenCalledTimes(2);
  });

  it('forgets a user’s devices at once when told', async () => {
    const { sut, list } = setup(60_000);
    await sut.activeDevices('u');
    sut.forgetDevices('u');
    expect(await sut.activeDevices('u')).toEqual([{ id: 'u-d1', registrationId: 1, hasKeys: true }]);
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('forgets a pair at once when told, in either direction', async () => {
    const { sut, canCommunicate } = setup(60_000);
    await sut.canCommunicate('a', 'b');
    canCommunicate.mockResolvedValueOnce(false);
    sut.forgetPair('b', 'a');
    expect(await sut.canCommunicate('a', 'b')).toBe(false);
    expect(canCommunicate).toHaveBeenCalledTimes(2);
  });

  it('reloads an entry used near its expiry in the background and keeps answering from it', async () => {
    const { sut, list, advance } = setup(1_000);
    await sut.activeDevices('u');
    advance(900);
    list.mockResolvedValueOnce([]);
    expect(await sut.activeDevices('u')).toHaveLength(1); // the old answer, while the reload runs
    expect(list).toHaveBeenCalledTimes(2);
    await new Promise((r) => setImmediate(r));
    advance(500); // past the first expiry, within the reloaded entry's life
    expect(await sut.activeDevices('u')).toEqual([]);
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('lets an invalidation win over a reload that was running', async () => {
    const { sut, canCommunicate, advance } = setup(1_000);
    await sut.canCommunicate('a', 'b');
    advance(5_900);
    let finish: (v: boolean) => void = () => undefined;
    canCommunicate.mockImplementationOnce(() => new Promise<boolean>((resolve) => (finish = resolve)));
    await sut.canCommunicate('a', 'b'); // starts the reload
    sut.forgetPair('a', 'b');
    finish(true);
    await Promise.resolve();
    canCommunicate.mockResolvedValueOnce(false);
    expect(await sut.canCommunicate('a', 'b')).toBe(false);
  });

  it('does not remember a failed lookup', async () => {
    const { sut, canCommunicate } = setup(60_000);
    canCommunicate.mockRejectedValueOnce(new Error('db down'));
    await expect(sut.canCommunicate('a', 'b')).rejects.toThrow('db down');
    await expect(sut.canCommunicate('a', 'b')).resolves.toBe(true);
  });

  it('always asks the services with a ttl of 0', async () => {
    const { sut, canCommunicate } = setup(0);
    await sut.canCommunicate('a', 'b');
    await sut.canCommunicate('a', 'b');
    expect(canCommunicate).toHaveBeenCalledTimes(2);
  });

  it('asks a pair again within MAX_PAIR_TTL_MS however long device lists are kept', async () => {
    const { sut, canCommunicate, advance } = setup(1_800_000);
    await sut.canCommunicate('a', 'b');
    advance(MAX_PAIR_TTL_MS + 1);
    await sut.canCommunicate('a', 'b');
    expect(canCommunicate).toHaveBeenCalledTimes(2);
  });

  it('forgets every pair and device list on clear', async () => {
    const { sut, canCommunicate, list } = setup(60_000);
    await Promise.all([sut.canCommunicate('a', 'b'), sut.activeDevices('u')]);
    sut.clear();
    await Promise.all([sut.canCommunicate('a', 'b'), sut.activeDevices('u')]);
    expect(canCommunicate).toHaveBeenCalledTimes(2);
    expect(list).toHaveBeenCalledTimes(2);
  });
});
