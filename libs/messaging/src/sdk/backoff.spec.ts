import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoff.js';

describe(backoffDelay.name, () => {
  const options = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0.5 };

  it('doubles from the minimum up to the cap without jitter', () => {
    expect([0, 1, 2, 3, 4, 50].map((a) => backoffDelay(a, options, 0.5))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('scatters by up to the jitter fraction and never exceeds the cap', () => {
    expect(backoffDelay(1, options, 0)).toBe(100);
    expect(backoffDelay(1, options, 0.999)).toBeLessThanOrEqual(300);
    expect(backoffDelay(10, options, 0.999)).toBe(1_000);
  });

  it('rejects a negative attempt', () => {
    expect(() => backoffDelay(-1, options)).toThrow(RangeError);
  });
});
