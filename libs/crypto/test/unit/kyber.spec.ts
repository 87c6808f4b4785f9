import { describe, expect, it } from '@jest/globals';
import * as signal from '@signalapp/libsignal-client';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { KEMKeyPair, KEMPublicKey, KEMSecretKey } from '../../src/kyber.js';
import { parseKyberPreKeyRecord, serializeKyberPreKeyRecord } from '../../src/prekeys.js';
import { IdentityKeyPair } from '../../src/curve.js';

const own = (b: Uint8Array) => Uint8Array.from(b) as Uint8Array<ArrayBuffer>;

describe('Kyber1024 (round 3, type 0x08)', () => {
  it('encapsulates and decapsulates to the same 32-byte secret', () => {
    const kp = KEMKeyPair.generate();
    const { ciphertext, sharedSecret } = kp.publicKey.encapsulate();
    expect(ciphertext.length).toBe(1569);
    expect(ciphertext[0]).toBe(0x08);
    expect(sharedSecret.length).toBe(32);
    expect(kp.secretKey.decapsulate(ciphertext)).toEqual(sharedSecret);
  });

  it('is not FIPS 203: the round-3 secret differs from plain ML-KEM on the same ciphertext', () => {
    const kp = KEMKeyPair.generate();
    const { ciphertext, sharedSecret } = kp.publicKey.encapsulate();
    const fips = ml_kem1024.decapsulate(ciphertext.slice(1), kp.secretKey.serialize().slice(1));
    expect(fips).not.toEqual(sharedSecret);
  });

  it('uses libsignal key sizes and accepts libsignal keys', () => {
    const theirs = signal.KEMKeyPair.generate();
    const pub = KEMPublicKey.deserialize(theirs.getPublicKey().serialize());
    const sec = KEMSecretKey.deserialize(theirs.getSecretKey().serialize());
    expect(pub.serialize().length).toBe(1569);
    expect(sec.serialize().length).toBe(3169);
    const { ciphertext, sharedSecret } = pub.encapsulate();
    expect(sec.decapsulate(ciphertext)).toEqual(sharedSecret);
  });

  it('rejects other KEM types (0x07 Kyber768, 0x0A ML-KEM) and wrong lengths', () => {
    const pk = KEMKeyPair.generate().publicKey.serialize();
    for (const t of [0x07, 0x0a]) {
      const bad = Uint8Array.from(pk);
      bad[0] = t;
      expect(() => KEMPublicKey.deserialize(bad)).toThrow(expect.objectContaining({ code: 'BadKEMKeyType' }));
    }
    expect(() => KEMPublicKey.deserialize(pk.slice(0, 100))).toThrow(
      expect.objectContaining({ code: 'BadKEMKeyLength' }),
    );
    const sk = KEMKeyPair.generate().secretKey;
    expect(() => sk.decapsulate(new Uint8Array(1569).fill(8).slice(0, 1000))).toThrow(
      expect.objectContaining({ code: 'BadKEMCiphertextLength' }),
    );
  });

  it('Kyber prekey records load in libsignal and libsignal records load here', () => {
    const ikp = IdentityKeyPair.generate();
    const kp = KEMKeyPair.generate();
    const pub = kp.publicKey.serialize();
    const sig = ikp.privateKey.sign(pub);
    const rec = serializeKyberPreKeyRecord(42, 1234, { publicKey: pub, secretKey: kp.secretKey.serialize() }, sig);
    const theirs = signal.KyberPreKeyRecord.deserialize(own(rec));
    expect(theirs.id()).toBe(42);
    expect(theirs.timestamp()).toBe(1234);
    expect(theirs.publicKey().serialize()).toEqual(pub);
    const native = signal.KyberPreKeyRecord.new(7, 99, signal.KEMKeyPair.generate(), own(sig));
    const parsed = parseKyberPreKeyRecord(native.serialize());
    expect(parsed.id).toBe(7);
    expect(parsed.keyPair.publicKey.serialize()).toEqual(native.publicKey().serialize());
  });

  describe('a recurring key (expanded once with noble prepare, then cached)', () => {
    /** Round-3 encapsulation with noble's one-shot call, as the module note defines it. */
    const oneShotEncapsulate = (pk: Uint8Array, m: Uint8Array) => {
      const res = ml_kem1024.encapsulate(pk, sha3_256(m));
      const secret = shake256(Uint8Array.from([...res.sharedSecret, ...sha3_256(res.cipherText)]), { dkLen: 32 });
      return { ciphertext: Uint8Array.from([0x08, ...res.cipherText]), sharedSecret: secret };
    };
    const oneShotDecapsulate = (sk: Uint8Array, c: Uint8Array) =>
      shake256(Uint8Array.from([...ml_kem1024.decapsulate(c, Uint8Array.from(sk)), ...sha3_256(c)]), { dkLen: 32 });

    it('encapsulates to a libsignal key byte for byte as the one-shot call, on first and later uses', () => {
      const theirs = signal.KEMKeyPair.generate();
      const pub = theirs.getPublicKey().serialize();
      const outputs = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const m = Uint8Array.from({ length: 32 }, (_, j) => (j * 7 + i) & 0xff);
        const ours = KEMPublicKey.deserialize(pub).encapsulate(() => Uint8Array.from(m));
        expect(ours).toEqual(oneShotEncapsulate(pub.slice(1), m));
        outputs.add(Buffer.from(ours.sharedSecret).toString('hex'));
      }
      expect(outputs.size).toBe(3);
    });

    it('decapsulates with a libsignal key, valid and invalid ciphertexts, as the one-shot call, first and later uses', () => {
      const theirs = signal.KEMKeyPair.generate();
      const skBytes = theirs.getSecretKey().serialize();
      const pub = theirs.getPublicKey().serialize();
      for (let i = 0; i < 3; i++) {
        const m = Uint8Array.from({ length: 32 }, (_, j) => (j * 5 + i) & 0xff);
        const { ciphertext: ct, sharedSecret: secret } = oneShotEncapsulate(pub.slice(1), m);
        const sec = KEMSecretKey.deserialize(skBytes);
        expect(sec.decapsulate(ct)).toEqual(secret);
        const bad = Uint8Array.from(ct);
        bad[10 + i] ^= 1; // implicit rejection: a pseudo-random secret, the same as the one-shot call's
        const rejected = sec.decapsulate(bad);
        expect(rejected).toEqual(oneShotDecapsulate(skBytes.slice(1), bad.slice(1)));
        expect(rejected).not.toEqual(secret);
      }
    });

    it('a secret key whose stored H(ek) is wrong fails as in the one-shot call, even with its ek cached', () => {
      const kp = KEMKeyPair.generate();
      const { ciphertext, sharedSecret } = kp.publicKey.encapsulate(); // caches the prepared ek
      const good = kp.secretKey.serialize();
      expect(KEMSecretKey.deserialize(good).decapsulate(ciphertext)).toEqual(sharedSecret);
      const corrupt = Uint8Array.from(good);
      corrupt[1 + 3168 - 64] ^= 1; // first byte of H(ek)
      const oneShot = (() => {
        try {
          ml_kem1024.decapsulate(ciphertext.slice(1), corrupt.slice(1));
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(oneShot).toMatch(/hash check/);
      expect(() => KEMSecretKey.deserialize(corrupt).decapsulate(ciphertext)).toThrow(oneShot);
    });
  });
});
