import { describe, expect, it } from '@jest/globals';
import {
  graceExpired,
  isOutOfDate,
  keyIdRange,
  MAX_KEY_ID,
  MAX_PREKEYS_PER_UPLOAD,
  needsReplenish,
  nextKeyId,
  replenishAmounts,
  rotationDue,
  SIGNED_PREKEY_MAX_AGE_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from './policy.js';

describe('key policy', () => {
  it('wraps key ids to 1, never 0', () => {
    expect(nextKeyId(41)).toBe(42);
    expect(nextKeyId(MAX_KEY_ID)).toBe(1);
    expect(keyIdRange(MAX_KEY_ID - 1, 4)).toEqual([MAX_KEY_ID - 1, MAX_KEY_ID, 1, 2]);
  });

  it('asks to replenish when either kind falls below the threshold', () => {
    expect(needsReplenish({ ecPreKeys: 10, kyberPreKeys: 10 })).toBe(false);
    expect(needsReplenish({ ecPreKeys: 9, kyberPreKeys: 100 })).toBe(true);
    expect(needsReplenish({ ecPreKeys: 100, kyberPreKeys: 0 })).toBe(true);
  });

  it('tops up to the target without exceeding one upload', () => {
    expect(replenishAmounts({ ecPreKeys: 7, kyberPreKeys: 100 })).toEqual({ ecPreKeys: 93, kyberPreKeys: 0 });
    expect(replenishAmounts({ ecPreKeys: 0, kyberPreKeys: 0 }, 500)).toEqual({
      ecPreKeys: MAX_PREKEYS_PER_UPLOAD,
      kyberPreKeys: MAX_PREKEYS_PER_UPLOAD,
    });
    expect(replenishAmounts({ ecPreKeys: 150, kyberPreKeys: 3 })).toEqual({ ecPreKeys: 0, kyberPreKeys: 97 });
  });

  it('rotates after two days and calls keys out of date after fourteen', () => {
    const t0 = Date.UTC(2026, 0, 1);
    expect(rotationDue(t0, t0 + SIGNED_PREKEY_ROTATION_MS - 1)).toBe(false);
    expect(rotationDue(t0, t0 + SIGNED_PREKEY_ROTATION_MS)).toBe(true);
    expect(isOutOfDate(t0, t0 + SIGNED_PREKEY_MAX_AGE_MS)).toBe(false);
    expect(isOutOfDate(t0, t0 + SIGNED_PREKEY_MAX_AGE_MS + 1)).toBe(true);
  });

  it('keeps replaced keys through the grace period', () => {
    const t0 = Date.UTC(2026, 0, 1);
    expect(graceExpired(t0, t0 + 29 * 86_400_000)).toBe(false);
    expect(graceExpired(t0, t0 + 31 * 86_400_000)).toBe(true);
  });
});
