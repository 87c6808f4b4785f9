import { describe, expect, it } from '@jest/globals';
import * as signal from '@signalapp/libsignal-client';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
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
});
