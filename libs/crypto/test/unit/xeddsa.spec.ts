import { describe, expect, it } from '@jest/globals';
import * as signal from '@signalapp/libsignal-client';
import { PrivateKey } from '../../src/curve.js';
import { xeddsaSign, xeddsaVerify } from '../../src/xeddsa.js';

const own = (b: Uint8Array) => Uint8Array.from(b) as Uint8Array<ArrayBuffer>;

describe('XEdDSA against libsignal', () => {
  it('our signatures verify in libsignal and theirs in ours (both Edwards sign bits)', () => {
    const signBits = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const msg = crypto.getRandomValues(new Uint8Array(i * 5));
      const ours = PrivateKey.generate();
      const sig = ours.sign(msg);
      signBits.add(sig[63] >> 7);
      expect(signal.PublicKey.deserialize(own(ours.getPublicKey().serialize())).verify(own(msg), own(sig))).toBe(true);
      const theirs = signal.PrivateKey.generate();
      const tsig = theirs.sign(own(msg));
      expect(xeddsaVerify(theirs.getPublicKey().getPublicKeyBytes(), msg, tsig)).toBe(true);
    }
    expect(signBits.size).toBe(2);
  });

  it('rejects s with any of the top three bits set, wrong lengths, and modified messages', () => {
    const k = PrivateKey.generate();
    const msg = new Uint8Array([1, 2, 3]);
    const sig = xeddsaSign(k.serialize(), msg, new Uint8Array(64));
    const u = k.getPublicKey().getPublicKeyBytes();
    expect(xeddsaVerify(u, msg, sig)).toBe(true);
    const high = Uint8Array.from(sig);
    high[63] |= 0x60;
    expect(xeddsaVerify(u, msg, high)).toBe(false);
    expect(xeddsaVerify(u, msg, sig.slice(0, 63))).toBe(false);
    expect(xeddsaVerify(u, new Uint8Array([1, 2, 4]), sig)).toBe(false);
    expect(() => xeddsaSign(k.serialize(), msg, new Uint8Array(32))).toThrow(RangeError);
  });
});
