import { describe, expect, it } from '@jest/globals';
import { isLockConflict, retryDeadlocks } from './deadlock-retry.js';

const deadlock = () => Object.assign(new Error('deadlock'), { driverError: { errno: 1213 } });

describe(retryDeadlocks.name, () => {
  it('runs the write again after deadlocks, pausing longer each time, until it commits', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const sut = retryDeadlocks(
      async () => {
        if (++calls < 5) throw deadlock();
        return 'committed';
      },
      { retries: 8, baseDelayMs: 2, maxDelayMs: 10, random: () => 1, sleep: async (ms) => void pauses.push(ms) },
    );
    await expect(sut).resolves.toBe('committed');
    expect(calls).toBe(5);
    expect(pauses).toEqual([2, 4, 8, 10]);
  });

  it('gives up after the last retry with the conflict', async () => {
    let calls = 0;
    const sut = retryDeadlocks(
      async () => {
        calls++;
        throw deadlock();
      },
      { retries: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined },
    );
    await expect(sut).rejects.toThrow('deadlock');
    expect(calls).toBe(4);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    const sut = retryDeadlocks(async () => {
      calls++;
      throw Object.assign(new Error('duplicate'), { driverError: { errno: 1062 } });
    });
    await expect(sut).rejects.toThrow('duplicate');
    expect(calls).toBe(1);
  });

  it('recognises lock wait timeouts and driver errors without a TypeORM wrapper', () => {
    expect(isLockConflict({ driverError: { errno: 1205 } })).toBe(true);
    expect(isLockConflict({ errno: 1213 })).toBe(true);
    expect(isLockConflict(new Error('other'))).toBe(false);
    expect(isLockConflict(null)).toBe(false);
  });
});
