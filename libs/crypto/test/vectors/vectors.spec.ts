/**
 * Fixed vectors (see generate-vectors.ts for provenance): XEdDSA with fixed Z, ratchet/SPQR/PQXDH
 * KDFs from libsignal's HKDF, and Kyber1024-r3 decapsulation of ciphertexts made by libsignal.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes.js';
import { PrivateKey, PublicKey } from '../../src/curve.js';
import { KEMKeyPair } from '../../src/kyber.js';
import { derivePqxdhSecrets } from '../../src/pqxdh.js';
import { deriveMessageKeys, kdfRootKey, messageKeySeed, nextChainKey } from '../../src/ratchet/keys.js';
import { spqrInitialState, spqrSend } from '../../src/spqr/chain.js';
import { xeddsaSign, xeddsaVerify } from '../../src/xeddsa.js';

const load = (f: string) => JSON.parse(readFileSync(join(import.meta.dirname, f), 'utf8'));
const xeddsa: { privateKey: string; publicKey: string; message: string; random: string; signature: string }[] =
  load('xeddsa.json');
const kdf = load('ratchet-kdf.json');
const kyberEncaps: { keygenSeed: string; random: string; ciphertext: string; sharedSecret: string }[] =
  load('kyber1024-r3-encaps.json');
const kyber: { keygenSeed: string; publicKeySha256: string; ciphertext: string; sharedSecret: string }[] =
  load('kyber1024-r3.json');

describe('XEdDSA vectors (fixed Z, verified by libsignal)', () => {
  it.each(xeddsa.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    const priv = PrivateKey.deserialize(fromHex(v.privateKey));
    expect(toHex(priv.getPublicKey().serialize())).toBe(v.publicKey);
    expect(toHex(xeddsaSign(fromHex(v.privateKey), fromHex(v.message), fromHex(v.random)))).toBe(v.signature);
    const pub = PublicKey.deserialize(fromHex(v.publicKey));
    expect(pub.verify(fromHex(v.message), fromHex(v.signature))).toBe(true);
    const bad = fromHex(v.signature);
    bad[63] ^= 0x80; // flip the stored Edwards sign bit
    expect(xeddsaVerify(pub.getPublicKeyBytes(), fromHex(v.message), bad)).toBe(false);
  });
});

describe('ratchet KDF vectors (libsignal hkdf, node HMAC)', () => {
  it('root key step', () => {
    const o = kdfRootKey(fromHex(kdf.rootKey.rootKey), fromHex(kdf.rootKey.dh));
    expect(toHex(o.rootKey) + toHex(o.chainKey)).toBe(kdf.rootKey.output);
  });
  it('chain key step and message seed', () => {
    expect(toHex(messageKeySeed(fromHex(kdf.chainKey.chainKey)))).toBe(kdf.chainKey.messageSeed);
    expect(toHex(nextChainKey(fromHex(kdf.chainKey.chainKey)))).toBe(kdf.chainKey.nextChainKey);
  });
  it('message keys, salted by SPQR and unsalted', () => {
    const s = deriveMessageKeys(fromHex(kdf.messageKeys.seed), fromHex(kdf.messageKeys.spqrKey));
    expect(toHex(s.cipherKey) + toHex(s.macKey) + toHex(s.iv)).toBe(kdf.messageKeys.salted);
    const u = deriveMessageKeys(fromHex(kdf.messageKeys.seed), undefined);
    expect(toHex(u.cipherKey) + toHex(u.macKey) + toHex(u.iv)).toBe(kdf.messageKeys.unsalted);
  });
  it('SPQR chain start and first A2B key', () => {
    const start = kdf.spqrChain.start as string;
    const a = spqrInitialState(fromHex(kdf.spqrChain.authKey), 'A2B');
    expect(toHex(a.send.next)).toBe(start.slice(64, 128));
    expect(toHex(a.recv.next)).toBe(start.slice(128, 192));
    const first = spqrSend(a);
    expect(toHex(first.key)).toBe((kdf.spqrChain.firstNextA2B as string).slice(64));
    expect(toHex(a.send.next)).toBe((kdf.spqrChain.firstNextA2B as string).slice(0, 64));
    expect(toHex(first.msg)).toBe('01010100'); // V1, epoch 1, index 1, None
  });
  it('PQXDH output split', () => {
    const ikm = fromHex(kdf.pqxdh.ikm);
    const s = derivePqxdhSecrets([ikm.slice(32)]);
    expect(toHex(s.rootKey) + toHex(s.chainKey) + toHex(s.pqrAuthKey)).toBe(kdf.pqxdh.output);
  });
});

describe('Kyber1024 round-3 vectors (ciphertexts from libsignal)', () => {
  it.each(kyber.map((v, i) => [i, v] as const))('vector %i decapsulates to the session secret', async (_i, v) => {
    const kp = KEMKeyPair.generate(() => fromHex(v.keygenSeed));
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', kp.publicKey.serialize() as Uint8Array<ArrayBuffer>),
    );
    expect(toHex(digest)).toBe(v.publicKeySha256);
    expect(toHex(kp.secretKey.decapsulate(fromHex(v.ciphertext)))).toBe(v.sharedSecret);
    // a modified ciphertext gives a different (implicit-rejection) secret, not an error
    const ct = fromHex(v.ciphertext);
    ct[100] ^= 1;
    expect(toHex(kp.secretKey.decapsulate(ct))).not.toBe(v.sharedSecret);
  });
});

describe('Kyber1024 round-3 encapsulation vectors (fixed m, accepted by libsignal)', () => {
  it.each(kyberEncaps.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    const kp = KEMKeyPair.generate(() => fromHex(v.keygenSeed));
    const { ciphertext, sharedSecret } = kp.publicKey.encapsulate(() => fromHex(v.random));
    expect(toHex(ciphertext)).toBe(v.ciphertext);
    expect(toHex(sharedSecret)).toBe(v.sharedSecret);
    expect(toHex(kp.secretKey.decapsulate(ciphertext))).toBe(v.sharedSecret);
  });
});
