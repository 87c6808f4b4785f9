import { describe, expect, it } from '@jest/globals';
import * as signal from '@signalapp/libsignal-client';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  agreeNoble,
  agreeWebCrypto,
  hasWebCryptoX25519,
  IdentityKeyPair,
  PrivateKey,
  PublicKey,
} from '../../src/curve.js';
import { ProtocolError } from '../../src/errors.js';
import { isCanonicalMontgomery } from '../../src/xeddsa.js';
import { expectProtocolError } from '../support/expect-code.js';

const own = (b: Uint8Array) => Uint8Array.from(b) as Uint8Array<ArrayBuffer>;

describe('PublicKey', () => {
  it('round-trips 0x05 || u and rejects every other shape', () => {
    const k = PrivateKey.generate().getPublicKey().serialize();
    expect(PublicKey.deserialize(k).serialize()).toEqual(k);
    expect(() => PublicKey.deserialize(new Uint8Array(0))).toThrow(ProtocolError);
    expect(() => PublicKey.deserialize(k.slice(1))).toThrow(expect.objectContaining({ code: 'BadKeyType' }));
    expect(() => PublicKey.deserialize(Uint8Array.of(...k, 0, 0))).toThrow(
      expect.objectContaining({ code: 'BadKeyLength' }),
    );
    expect(() => PublicKey.deserialize(k.slice(0, 32))).toThrow(expect.objectContaining({ code: 'BadKeyLength' }));
    expect(() => PublicKey.deserialize('05' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('PrivateKey', () => {
  it('clamps on deserialize like libsignal', () => {
    const raw = new Uint8Array(32).fill(0xff);
    const ours = PrivateKey.deserialize(raw).serialize();
    expect(ours[0]).toBe(0xf8);
    expect(ours[31]).toBe(0x7f);
    expect(ours).toEqual(signal.PrivateKey.deserialize(own(raw)).serialize());
    expect(() => PrivateKey.deserialize(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'BadKeyLength' }));
  });

  it('generates from an injected RNG deterministically', () => {
    const rng = (n: number) => new Uint8Array(n).fill(7);
    expect(PrivateKey.generate(rng).serialize()).toEqual(PrivateKey.generate(rng).serialize());
  });

  it('derives the same public key as libsignal', () => {
    const k = PrivateKey.generate();
    expect(k.getPublicKey().serialize()).toEqual(
      signal.PrivateKey.deserialize(own(k.serialize())).getPublicKey().serialize(),
    );
  });
});

describe('agree', () => {
  it('WebCrypto and noble paths give equal results (and equal libsignal)', async () => {
    expect(await hasWebCryptoX25519()).toBe(true); // Node 20 has X25519 in crypto.subtle
    for (let i = 0; i < 5; i++) {
      const a = PrivateKey.generate();
      const b = PrivateKey.generate();
      const n = agreeNoble(a.serialize(), b.getPublicKey().getPublicKeyBytes());
      const w = await agreeWebCrypto(a.serialize(), b.getPublicKey().getPublicKeyBytes());
      expect(w).toEqual(n);
      const native = signal.PrivateKey.deserialize(own(b.serialize())).agree(
        signal.PublicKey.deserialize(own(a.getPublicKey().serialize())),
      );
      expect(native).toEqual(n);
      expect(await a.agree(b.getPublicKey())).toEqual(n);
    }
  });

  it('rejects an all-zero shared secret (low-order peer key) on both paths', async () => {
    const a = PrivateKey.generate().serialize();
    const lowOrder = [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))];
    for (const u of lowOrder) {
      expect(() => agreeNoble(a, u)).toThrow(expect.objectContaining({ code: 'InvalidKeyAgreement' }));
      await expectProtocolError(agreeWebCrypto(a, u), 'InvalidKeyAgreement');
    }
  });
});

describe('IdentityKeyPair', () => {
  it('uses libsignal storage encoding both ways', () => {
    const ours = IdentityKeyPair.generate();
    const theirs = signal.IdentityKeyPair.deserialize(own(ours.serialize()));
    expect(theirs.publicKey.serialize()).toEqual(ours.publicKey.serialize());
    const back = IdentityKeyPair.deserialize(signal.IdentityKeyPair.generate().serialize());
    expect(back.privateKey.getPublicKey().equals(back.publicKey)).toBe(true);
  });
});

describe('canonical base key check', () => {
  it('accepts real keys and rejects low-order, non-canonical and high-bit encodings', () => {
    for (let i = 0; i < 5; i++)
      expect(isCanonicalMontgomery(x25519.getPublicKey(x25519.utils.randomSecretKey()))).toBe(true);
    expect(isCanonicalMontgomery(new Uint8Array(32))).toBe(false); // u = 0, order 4 on Edwards side
    expect(isCanonicalMontgomery(Uint8Array.of(1, ...new Uint8Array(31)))).toBe(false); // u = 1
    const p = Uint8Array.of(0xed, ...new Uint8Array(30).fill(0xff), 0x7f); // u = p
    expect(isCanonicalMontgomery(p)).toBe(false);
    const good = x25519.getPublicKey(x25519.utils.randomSecretKey());
    good[31] |= 0x80;
    expect(isCanonicalMontgomery(good)).toBe(false);
  });
});
