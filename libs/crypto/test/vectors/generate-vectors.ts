/**
 * Regenerates the fixed vectors in this folder from libsignal-client 0.103 (and node:crypto for
 * HMAC, which libsignal-client does not expose). Every expected value below is produced by the
 * REFERENCE, not by our code, except where noted ("cross-checked"): there the value comes from our
 * implementation and is accepted only after libsignal verified/used it in the same run.
 *
 * Run (writes the JSON files): GENERATE_VECTORS=1 npm run test:jest -- --selectProjects libs --testPathPatterns vectors/generate
 */
import { createHmac } from 'node:crypto';
import * as signal from '@signalapp/libsignal-client';
import { fromHex, toHex } from '../../src/bytes.js';
import { IdentityKeyPair, PrivateKey } from '../../src/curve.js';
import { serializeKyberPreKeyRecord } from '../../src/prekeys.js';
import { KEMKeyPair } from '../../src/kyber.js';
import { decodePreKeySignalMessage } from '../../src/proto/messages.js';
import { nativeEngine } from '../../src/native/index.js';
import { createTsEngine, tsEngine } from '../../src/ts/engine.js';
import { makeParty, publishBundle, receive, send } from '../support/parties.js';
import { ALICE, BOB } from '../support/engines.js';

const own = (b: Uint8Array) => Uint8Array.from(b) as Uint8Array<ArrayBuffer>;
const enc = (s: string) => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;
const seq = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i * 7) & 0xff);

/** XEdDSA with fixed Z: our signature, accepted only if libsignal verifies it. */
function xeddsa() {
  const out = [];
  for (let i = 0; i < 8; i++) {
    const priv = PrivateKey.deserialize(seq(32, 11 * i + 1));
    const msg = seq(i * 13, 3 * i);
    const z = seq(64, 29 * i + 5);
    const sig = priv.sign(msg, z);
    const pub = priv.getPublicKey().serialize();
    if (!signal.PublicKey.deserialize(own(pub)).verify(own(msg), own(sig))) throw new Error('libsignal rejected');
    out.push({
      privateKey: toHex(priv.serialize()),
      publicKey: toHex(pub),
      message: toHex(msg),
      random: toHex(z),
      signature: toHex(sig),
    });
  }
  return out;
}

/** HKDF-based derivations, computed with libsignal's hkdf; HMAC steps with node:crypto. */
function kdf() {
  const hk = (len: number, ikm: Uint8Array, info: string | Uint8Array, salt: Uint8Array | null) =>
    toHex(signal.hkdf(len, own(ikm), typeof info === 'string' ? enc(info) : own(info), salt ? own(salt) : null));
  const hmac = (k: Uint8Array, b: number) => toHex(createHmac('sha256', k).update(Uint8Array.of(b)).digest());
  const rk = seq(32, 1);
  const dh = seq(32, 100);
  const ck = seq(32, 50);
  const seed = seq(32, 77);
  const spqrKey = seq(32, 200);
  const pqr = seq(32, 9);
  // PQXDH HKDF input: 0xFF×32 || four DH outputs || KEM secret (fixed bytes stand in for them)
  const pqxdhIkm = new Uint8Array([...new Uint8Array(32).fill(0xff), ...seq(32 * 5, 40)]);
  const info = new Uint8Array([0, 0, 0, 1, ...enc('Signal PQ Ratchet V1 Chain Next')]);
  return {
    rootKey: { rootKey: toHex(rk), dh: toHex(dh), output: hk(64, dh, 'WhisperRatchet', rk) },
    chainKey: { chainKey: toHex(ck), messageSeed: hmac(ck, 1), nextChainKey: hmac(ck, 2) },
    messageKeys: {
      seed: toHex(seed),
      spqrKey: toHex(spqrKey),
      salted: hk(80, seed, 'WhisperMessageKeys', spqrKey),
      unsalted: hk(80, seed, 'WhisperMessageKeys', null),
    },
    spqrChain: {
      authKey: toHex(pqr),
      start: hk(96, pqr, 'Signal PQ Ratchet V1 Chain  Start', new Uint8Array(32)),
      // first "next" step on the A2B chain (ctr = 1)
      firstNextA2B: hk(
        64,
        fromHex(hk(96, pqr, 'Signal PQ Ratchet V1 Chain  Start', new Uint8Array(32))).slice(32, 64),
        info,
        new Uint8Array(32),
      ),
    },
    pqxdh: { ikm: toHex(pqxdhIkm), output: hk(96, pqxdhIkm, 'WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024', null) },
  };
}

/**
 * Kyber1024 round 3: a ts key from a fixed seed published in a bundle; libsignal (native Alice)
 * encapsulates to it in a real PreKey message; we record the ciphertext and our decapsulated
 * secret, cross-checked by the session decrypting (it cannot unless both secrets are equal).
 */
async function kyber() {
  const out = [];
  for (let i = 0; i < 2; i++) {
    const seed = seq(64, 17 * i + 3);
    const bob = await makeParty(tsEngine, BOB);
    const alice = await makeParty(nativeEngine, ALICE);
    const published = await publishBundle(bob);
    // replace the Kyber prekey by one from the fixed seed
    const kp = KEMKeyPair.generate(() => Uint8Array.from(seed));
    const identity = IdentityKeyPair.deserialize(await bob.stores.identity.getIdentityKeyPair());
    const kyberPreKey = kp.publicKey.serialize();
    const kyberPreKeySignature = identity.privateKey.sign(kyberPreKey);
    await bob.stores.kyberPreKey.storeKyberPreKey(
      published.kyberPreKeyId,
      serializeKyberPreKeyRecord(
        published.kyberPreKeyId,
        0,
        { publicKey: kyberPreKey, secretKey: kp.secretKey.serialize() },
        kyberPreKeySignature,
      ),
    );
    const bundle = { ...published, kyberPreKey, kyberPreKeySignature };
    await nativeEngine.processPreKeyBundle(bundle, bob.address, alice.address, alice.stores);
    const m = await send(alice, bob, 'kyber vector');
    if ((await receive(bob, alice, m)) !== 'kyber vector') throw new Error('session failed');
    const ct = decodePreKeySignalMessage(m.body).kyberCiphertext;
    out.push({
      keygenSeed: toHex(seed),
      publicKeySha256: toHex(
        new Uint8Array(await crypto.subtle.digest('SHA-256', kp.publicKey.serialize() as Uint8Array<ArrayBuffer>)),
      ),
      ciphertext: toHex(ct),
      sharedSecret: toHex(kp.secretKey.decapsulate(ct)),
    });
  }
  return out;
}

/**
 * Kyber1024 round-3 ENCAPSULATION with fixed randomness m: ts Alice (whose second 32-byte RNG draw
 * is the encapsulation randomness, see processPreKeyBundle) sends to a native (libsignal) Bob
 * holding the fixed-seed key; libsignal decrypting the PreKey message proves our ciphertext and
 * secret are round-3 correct.
 */
async function kyberEncaps() {
  const out = [];
  for (let i = 0; i < 2; i++) {
    const seed = seq(64, 31 * i + 9);
    const m = seq(32, 13 * i + 101);
    let draw = 0;
    const aliceRng = (n: number) =>
      draw++ === 1 && n === 32 ? Uint8Array.from(m) : globalThis.crypto.getRandomValues(new Uint8Array(n));
    const alice = await makeParty(createTsEngine({ rng: aliceRng }), ALICE);
    const bob = await makeParty(nativeEngine, BOB);
    const published = await publishBundle(bob);
    const kp = KEMKeyPair.generate(() => Uint8Array.from(seed));
    const identity = IdentityKeyPair.deserialize(await bob.stores.identity.getIdentityKeyPair());
    const kyberPreKey = kp.publicKey.serialize();
    const kyberPreKeySignature = identity.privateKey.sign(kyberPreKey);
    await bob.stores.kyberPreKey.storeKyberPreKey(
      published.kyberPreKeyId,
      await nativeEngine.records.kyberPreKeyRecord(
        published.kyberPreKeyId,
        0,
        { publicKey: kyberPreKey, secretKey: kp.secretKey.serialize() },
        kyberPreKeySignature,
      ),
    );
    draw = 0;
    await alice.engine.processPreKeyBundle(
      { ...published, kyberPreKey, kyberPreKeySignature },
      bob.address,
      alice.address,
      alice.stores,
    );
    const msg = await send(alice, bob, 'kyber encaps vector');
    if ((await receive(bob, alice, msg)) !== 'kyber encaps vector') throw new Error('libsignal did not accept');
    const ct = decodePreKeySignalMessage(msg.body).kyberCiphertext;
    const again = kp.publicKey.encapsulate(() => Uint8Array.from(m));
    if (toHex(again.ciphertext) !== toHex(ct)) throw new Error('encapsulation randomness was not the fixed m');
    out.push({
      keygenSeed: toHex(seed),
      random: toHex(m),
      ciphertext: toHex(ct),
      sharedSecret: toHex(again.sharedSecret),
    });
  }
  return out;
}

export async function generateVectors() {
  return { xeddsa: xeddsa(), kdf: kdf(), kyber: await kyber(), kyberEncaps: await kyberEncaps() };
}
