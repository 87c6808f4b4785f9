/**
 * The WebCrypto fast paths (X25519 key generation and cached agreement, Ed25519 verification of
 * XEdDSA signatures) must give exactly the pure-JS / libsignal results, and fall back to noble when
 * the platform lacks the algorithm or verifies differently from libsignal.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import * as signal from '@signalapp/libsignal-client';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, fromBase64Url, fromHex, toBase64Url } from '../../src/bytes.js';
import { agreeNoble, hasWebCryptoX25519, IdentityKeyPair, PrivateKey, PublicKey } from '../../src/curve.js';
import { KeyCache } from '../../src/key-cache.js';
import { keepRatchetKey, takeRatchetKey } from '../../src/session/ratchet-key-cache.js';
import { hasWebCryptoEd25519Verify, xeddsaSign, xeddsaVerify, xeddsaVerifyAsync } from '../../src/xeddsa.js';
import { expectProtocolError } from '../support/expect-code.js';

const own = (b: Uint8Array) => Uint8Array.from(b) as Uint8Array<ArrayBuffer>;
const L = ed25519.Point.Fn.ORDER;

const realCrypto = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;

/** Replaces `globalThis.crypto` with one whose `subtle` is wrapped by `wrap` (restored after each test). */
function withSubtle(wrap: (real: SubtleCrypto) => Partial<SubtleCrypto>): void {
  const real = globalThis.crypto;
  const subtle = Object.assign(Object.create(real.subtle) as SubtleCrypto, wrap(real.subtle));
  const fake = { subtle, getRandomValues: real.getRandomValues.bind(real), randomUUID: real.randomUUID.bind(real) };
  Object.defineProperty(globalThis, 'crypto', { value: fake, configurable: true, writable: true });
}

const algName = (alg: unknown) => (typeof alg === 'string' ? alg : (alg as { name: string }).name);
const notSupported = () => Promise.reject(new DOMException('not supported', 'NotSupportedError'));

/** A platform without X25519 and Ed25519 in WebCrypto (as older browsers). */
function withoutCurves(real: SubtleCrypto): Partial<SubtleCrypto> {
  const refuse = (alg: unknown) => ['X25519', 'Ed25519'].includes(algName(alg));
  return {
    importKey: ((format: never, data: never, alg: unknown, ext: never, usages: never) =>
      refuse(alg)
        ? notSupported()
        : real.importKey(format, data, alg as never, ext, usages)) as SubtleCrypto['importKey'],
    generateKey: ((alg: unknown, ext: never, usages: never) =>
      refuse(alg) ? notSupported() : real.generateKey(alg as never, ext, usages)) as SubtleCrypto['generateKey'],
  };
}

afterEach(() => {
  Object.defineProperty(globalThis, 'crypto', realCrypto);
});

/** A signature made with `nonce` as `r`, optionally with a point added to `R` and `ℓ` added to `s`. */
function craftSignature(
  k: Uint8Array,
  message: Uint8Array,
  opts: { addToR?: Uint8Array; addL?: boolean } = {},
): Uint8Array {
  const Point = ed25519.Point;
  const a = bytesToNumberLE(k) % L;
  const A = Point.BASE.multiply(a).toBytes();
  const r = 0xabcdef0123456789n;
  let Rp = Point.BASE.multiply(r);
  if (opts.addToR) Rp = Rp.add(Point.fromBytes(opts.addToR));
  const R = Rp.toBytes();
  const h = bytesToNumberLE(sha512(concat(R, A, message))) % L;
  let s = (h * a + r) % L;
  if (opts.addL) s += L;
  const sig = concat(R, numberToBytesLE(s, 32));
  sig[63] = (sig[63] & 0x7f) | (A[31] & 0x80);
  return sig;
}

describe('base64url', () => {
  it('round-trips every length and refuses foreign characters', () => {
    for (let n = 0; n < 40; n++) {
      const b = crypto.getRandomValues(new Uint8Array(n));
      expect(toBase64Url(b)).not.toMatch(/[+/=]/);
      expect(fromBase64Url(toBase64Url(b))).toEqual(b);
    }
    expect(() => fromBase64Url('ab+/')).toThrow(RangeError);
  });
});

describe('PrivateKey.generateAsync', () => {
  it('uses WebCrypto here, serialises clamped bytes and pairs them with the public key noble and libsignal derive', async () => {
    expect(await hasWebCryptoX25519()).toBe(true);
    for (let i = 0; i < 16; i++) {
      const k = await PrivateKey.generateAsync();
      const bytes = k.serialize();
      expect(bytes[0] & 7).toBe(0);
      expect(bytes[31] & 0x80).toBe(0);
      expect(bytes[31] & 0x40).toBe(0x40);
      expect(k.getPublicKey().getPublicKeyBytes()).toEqual(x25519.getPublicKey(bytes));
      expect(k.getPublicKey().serialize()).toEqual(
        signal.PrivateKey.deserialize(own(bytes)).getPublicKey().serialize(),
      );
    }
  });

  it('honours an injected RNG (same key as the synchronous generate)', async () => {
    const rng = (n: number) => new Uint8Array(n).fill(0x5a);
    const k = await PrivateKey.generateAsync(rng);
    expect(k.serialize()).toEqual(PrivateKey.generate(rng).serialize());
    expect(k.getPublicKey().getPublicKeyBytes()).toEqual(x25519.getPublicKey(k.serialize()));
  });

  it('agrees with the key it generated, as noble does with the serialised bytes', async () => {
    const ours = await PrivateKey.generateAsync();
    const theirs = await PrivateKey.generateAsync();
    const secret = await ours.agree(theirs.getPublicKey());
    expect(secret).toEqual(agreeNoble(ours.serialize(), theirs.getPublicKey().getPublicKeyBytes()));
    expect(await theirs.agree(ours.getPublicKey())).toEqual(secret);
  });

  it('falls back to noble when WebCrypto lacks X25519', async () => {
    withSubtle(withoutCurves);
    expect(await hasWebCryptoX25519()).toBe(false);
    const k = await PrivateKey.generateAsync();
    const pair = await IdentityKeyPair.generateAsync();
    expect(k.getPublicKey().getPublicKeyBytes()).toEqual(x25519.getPublicKey(k.serialize()));
    const secret = await k.agree(pair.publicKey);
    expect(secret).toEqual(x25519.getSharedSecret(pair.privateKey.serialize(), k.getPublicKey().getPublicKeyBytes()));
    await expectProtocolError(k.agree(PublicKey.fromPublicKeyBytes(new Uint8Array(32))), 'InvalidKeyAgreement');
  });
});

describe('PrivateKey.agree with cached CryptoKeys', () => {
  it('gives libsignal results for hinted, unhinted and wrongly hinted keys, and reuses imports', async () => {
    const a = signal.PrivateKey.generate();
    const b = signal.PrivateKey.generate();
    const expected = a.agree(b.getPublicKey());
    const theirs = PublicKey.deserialize(b.getPublicKey().serialize());
    const plain = PrivateKey.deserialize(a.serialize());
    const hinted = PrivateKey.deserialize(a.serialize()).withPublicKeyHint(
      PublicKey.deserialize(a.getPublicKey().serialize()),
    );
    const wrong = PrivateKey.deserialize(a.serialize()).withPublicKeyHint(theirs);
    for (const k of [plain, hinted, wrong]) {
      expect(await k.agree(theirs)).toEqual(expected);
      expect(await k.agree(theirs)).toEqual(expected); // second time on the cached CryptoKeys
    }
    expect(wrong.getPublicKey().serialize()).toEqual(a.getPublicKey().serialize()); // a hint is never returned
  });

  it('rejects low-order peer keys with InvalidKeyAgreement, on every call', async () => {
    const k = await PrivateKey.generateAsync();
    for (const u of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      const low = PublicKey.fromPublicKeyBytes(u);
      await expectProtocolError(k.agree(low), 'InvalidKeyAgreement');
      await expectProtocolError(k.agree(low), 'InvalidKeyAgreement');
    }
  });

  it('drops the cached CryptoKey on wipe (later agreements use the zeroed bytes, as the noble path does)', async () => {
    const k = await PrivateKey.generateAsync();
    const other = (await PrivateKey.generateAsync()).getPublicKey();
    const before = await k.agree(other);
    k.wipe();
    expect(k.serialize()).toEqual(new Uint8Array(32));
    const after = await k.agree(other);
    expect(after).not.toEqual(before);
    expect(after).toEqual(agreeNoble(new Uint8Array(32), other.getPublicKeyBytes()));
  });
});

describe('xeddsaVerifyAsync', () => {
  it('uses WebCrypto Ed25519 here and agrees with noble and libsignal on valid and tampered signatures', async () => {
    expect(await hasWebCryptoEd25519Verify()).toBe(true);
    const signBits = new Set<number>();
    for (let i = 0; i < 16; i++) {
      const theirs = signal.PrivateKey.generate();
      const u = theirs.getPublicKey().getPublicKeyBytes();
      const msg = crypto.getRandomValues(new Uint8Array(1 + i * 7));
      const sig = theirs.sign(own(msg));
      signBits.add(sig[63] >> 7);
      expect(await xeddsaVerifyAsync(u, msg, sig)).toBe(true);
      const flipped = Uint8Array.from(sig);
      flipped[i % 64] ^= 1 << (i % 8);
      const expected = theirs.getPublicKey().verify(own(msg), own(flipped));
      expect(await xeddsaVerifyAsync(u, msg, flipped)).toBe(expected);
      expect(xeddsaVerify(u, msg, flipped)).toBe(expected);
      expect(await xeddsaVerifyAsync(u, Uint8Array.of(...msg, 0), sig)).toBe(false);
    }
    expect(signBits.size).toBe(2);
  });

  it('accepts s ≥ ℓ like libsignal (the platform refuses it, noble decides)', async () => {
    const k = PrivateKey.generate().serialize();
    const msg = new Uint8Array([9, 9, 9]);
    let sig: Uint8Array;
    do sig = craftSignature(k, msg, { addL: true });
    while (sig[63] & 0x60); // s + ℓ must stay below 2^253 to be well-formed
    const u = x25519.getPublicKey(k);
    const libsignal = signal.PublicKey.deserialize(own(concat(Uint8Array.of(5), u))).verify(own(msg), own(sig));
    expect(libsignal).toBe(true);
    expect(await xeddsaVerifyAsync(u, msg, sig)).toBe(true);
  });

  it('refuses an order-8 component in R, as libsignal does (cofactorless check)', async () => {
    const k = PrivateKey.generate().serialize();
    const u = x25519.getPublicKey(k);
    const msg = new Uint8Array([1, 2]);
    const torsioned = craftSignature(k, msg, {
      addToR: fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
    });
    expect(signal.PublicKey.deserialize(own(concat(Uint8Array.of(5), u))).verify(own(msg), own(torsioned))).toBe(false);
    expect(await xeddsaVerifyAsync(u, msg, torsioned)).toBe(false);
    expect(await xeddsaVerifyAsync(u, msg, craftSignature(k, msg))).toBe(true);
  });

  it('does not trust a platform verifier that accepts more than libsignal', async () => {
    withSubtle((real) => ({
      verify: ((alg: unknown, key: CryptoKey, sig: BufferSource, data: BufferSource) =>
        algName(alg) === 'Ed25519'
          ? Promise.resolve(true)
          : real.verify(alg as never, key, sig, data)) as SubtleCrypto['verify'],
    }));
    expect(await hasWebCryptoEd25519Verify()).toBe(false);
    const k = PrivateKey.generate();
    const msg = new Uint8Array([4, 5, 6]);
    const sig = xeddsaSign(k.serialize(), msg, new Uint8Array(64).fill(1));
    expect(await xeddsaVerifyAsync(k.getPublicKey().getPublicKeyBytes(), msg, sig)).toBe(true);
    expect(await xeddsaVerifyAsync(k.getPublicKey().getPublicKeyBytes(), new Uint8Array([4, 5, 7]), sig)).toBe(false);
  });

  it('falls back to noble without Ed25519 in WebCrypto', async () => {
    withSubtle(withoutCurves);
    expect(await hasWebCryptoEd25519Verify()).toBe(false);
    const k = PrivateKey.generate();
    const sig = k.sign(new Uint8Array([7]));
    expect(await k.getPublicKey().verifyAsync(new Uint8Array([7]), sig)).toBe(true);
    expect(await k.getPublicKey().verifyAsync(new Uint8Array([8]), sig)).toBe(false);
  });

  it('returns false on malformed input and throws TypeError on non-bytes, like xeddsaVerify', async () => {
    const k = PrivateKey.generate();
    const sig = k.sign(new Uint8Array([1]));
    const u = k.getPublicKey().getPublicKeyBytes();
    expect(await xeddsaVerifyAsync(u, new Uint8Array([1]), sig.slice(0, 63))).toBe(false);
    expect(await xeddsaVerifyAsync(u.slice(1), new Uint8Array([1]), sig)).toBe(false);
    const high = Uint8Array.from(sig);
    high[63] |= 0x20;
    expect(await xeddsaVerifyAsync(u, new Uint8Array([1]), high)).toBe(false);
    await expect(xeddsaVerifyAsync('u' as unknown as Uint8Array, new Uint8Array(1), sig)).rejects.toThrow(TypeError);
  });
});

describe('KeyCache', () => {
  it('keeps the most recently used entries and reports every eviction', () => {
    const evicted: number[] = [];
    const cache = new KeyCache<number>(2, (v) => evicted.push(v));
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(evicted).toEqual([2]);
    cache.set('a', 4); // replacing evicts the old value
    expect(evicted).toEqual([2, 1]);
    cache.delete('c');
    expect(cache.get('c')).toBeUndefined();
    expect(evicted).toEqual([2, 1]);
  });

  it('empties itself when crypto.subtle changes', () => {
    const evicted: number[] = [];
    const cache = new KeyCache<number>(4, (v) => evicted.push(v));
    cache.set('a', 1);
    withSubtle(() => ({}));
    expect(cache.get('a')).toBeUndefined();
    expect(evicted).toEqual([1]);
  });
});

describe('ratchet-key cache', () => {
  it('hands back the kept key object only for the same private key, once', async () => {
    const key = await PrivateKey.generateAsync();
    const pub = key.getPublicKey().serialize();
    const priv = key.serialize();
    keepRatchetKey(pub, key);
    expect(takeRatchetKey(priv, pub)).toBe(key);
    const again = takeRatchetKey(priv, pub);
    expect(again).not.toBe(key); // taken: a fresh object from the record's bytes
    expect(again.serialize()).toEqual(priv);
    const other = await PrivateKey.generateAsync();
    keepRatchetKey(pub, other); // a record whose public key does not match its private key
    const fromRecord = takeRatchetKey(priv, pub);
    expect(fromRecord).not.toBe(other);
    expect(fromRecord.serialize()).toEqual(priv);
    expect(other.serialize()).toEqual(new Uint8Array(32)); // the mismatching entry was wiped
  });
});
