// Benchmark cases shared by the Node run (bench/crypto.bench.mjs) and the Chromium run
// (bench/crypto.browser-entry.mjs, bundled by bench/crypto.browser.mjs). Browser-safe: no Node
// imports; the library comes in through `useLibrary`.

// ---------------------------------------------------------------------------------------------
// In-memory stores over serialised records (the bench's own; the test ones are TypeScript).

const keyOf = (address) => `${address.name}.${address.deviceId}`;
const copy = (b) => (b === null || b === undefined ? null : Uint8Array.from(b));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function memoryStores(identityKeyPair, registrationId) {
  const sessions = new Map();
  const identities = new Map();
  const preKeys = new Map();
  const signedPreKeys = new Map();
  const kyberPreKeys = new Map();
  const kyberUsed = new Set();
  return {
    session: {
      async loadSession(a) {
        return copy(sessions.get(keyOf(a)));
      },
      async storeSession(a, r) {
        sessions.set(keyOf(a), copy(r));
      },
    },
    identity: {
      async getIdentityKeyPair() {
        return copy(identityKeyPair);
      },
      async getLocalRegistrationId() {
        return registrationId;
      },
      async saveIdentity(a, k) {
        const old = identities.get(keyOf(a));
        identities.set(keyOf(a), copy(k));
        return old && !same(old, k) ? 1 : 0;
      },
      async isTrustedIdentity(a, k) {
        const old = identities.get(keyOf(a));
        return !old || same(old, k);
      },
      async getIdentity(a) {
        return copy(identities.get(keyOf(a)));
      },
    },
    preKey: {
      async loadPreKey(id) {
        return copy(preKeys.get(id));
      },
      async storePreKey(id, r) {
        preKeys.set(id, copy(r));
      },
      async removePreKey(id) {
        preKeys.delete(id);
      },
    },
    signedPreKey: {
      async loadSignedPreKey(id) {
        return copy(signedPreKeys.get(id));
      },
      async storeSignedPreKey(id, r) {
        signedPreKeys.set(id, copy(r));
      },
    },
    kyberPreKey: {
      async loadKyberPreKey(id) {
        return copy(kyberPreKeys.get(id));
      },
      async storeKyberPreKey(id, r) {
        kyberPreKeys.set(id, copy(r));
      },
      async markKyberPreKeyUsed(id, spkId, baseKey) {
        const k = `${id}:${spkId}:${Array.from(baseKey, (x) => x.toString(16).padStart(2, '0')).join('')}`;
        if (kyberUsed.has(k)) throw new Error('kyber prekey reuse');
        kyberUsed.add(k);
      },
    },
  };
}

function memorySenderKeyStore() {
  const m = new Map();
  return {
    async saveSenderKey(a, d, r) {
      m.set(`${keyOf(a)}:${d}`, copy(r));
    },
    async getSenderKey(a, d) {
      return copy(m.get(`${keyOf(a)}:${d}`));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Parties and sessions.

let nameCounter = 0;
let ProtocolAddress;
/** Gives the cases the library's ProtocolAddress class (from dist/ in Node, from the bundle in the browser). */
export function useLibrary(lib) {
  ProtocolAddress = lib.ProtocolAddress;
}
const newAddress = () =>
  new ProtocolAddress(`00000000-0000-4000-8000-${(++nameCounter).toString(16).padStart(12, '0')}`, 1);

/** A device with an identity, a registration id and its stores. */
async function newDevice(engine) {
  const identityKeyPair = await engine.keys.generateIdentityKeyPair();
  const registrationId = 1 + (nameCounter % 16000);
  return {
    address: newAddress(),
    stores: memoryStores(identityKeyPair, registrationId),
    identityKeyPair,
    registrationId,
  };
}

/** Our 33-byte identity public key and 32-byte private key, from the stored key pair. */
function identityParts(identityKeyPair) {
  // IdentityKeyPairStructure {1: public (33 B), 2: private (32 B)}: 0x0a 0x21 pub 0x12 0x20 priv,
  // which is what both engines emit (fields in tag order).
  const b = identityKeyPair;
  if (b.length !== 69 || b[0] !== 0x0a || b[1] !== 0x21 || b[35] !== 0x12 || b[36] !== 0x20) {
    throw new Error('unexpected IdentityKeyPairStructure layout');
  }
  return { publicKey: b.subarray(2, 35), privateKey: b.subarray(37, 69) };
}

let prekeyId = 0;
/**
 * Generates and stores the signed prekey, the Kyber prekey and `oneTime` one-time prekeys of a
 * device, as an app does at registration, and returns what the server would publish.
 */
async function generatePreKeys(engine, device, oneTime) {
  const { publicKey: identityKey, privateKey: identityPriv } = identityParts(device.identityKeyPair);
  const now = Date.now();
  const published = [];
  for (let i = 0; i < oneTime; i++) {
    const id = ++prekeyId;
    const kp = await engine.keys.generateKeyPair();
    await device.stores.preKey.storePreKey(id, await engine.records.preKeyRecord(id, kp));
    published.push({ id, publicKey: kp.publicKey });
  }
  const spkId = ++prekeyId;
  const spk = await engine.keys.generateKeyPair();
  const spkSig = await engine.keys.sign(identityPriv, spk.publicKey);
  await device.stores.signedPreKey.storeSignedPreKey(
    spkId,
    await engine.records.signedPreKeyRecord(spkId, now, spk, spkSig),
  );
  const kyberId = ++prekeyId;
  const kyber = await engine.keys.generateKemKeyPair();
  const kyberSig = await engine.keys.sign(identityPriv, kyber.publicKey);
  await device.stores.kyberPreKey.storeKyberPreKey(
    kyberId,
    await engine.records.kyberPreKeyRecord(kyberId, now, kyber, kyberSig),
  );
  return {
    identityKey,
    oneTime: published,
    spkId,
    spk: spk.publicKey,
    spkSig,
    kyberId,
    kyber: kyber.publicKey,
    kyberSig,
  };
}

function bundleFor(device, keys, oneTimeIndex) {
  const opk = keys.oneTime[oneTimeIndex];
  return {
    registrationId: device.registrationId,
    deviceId: device.address.deviceId,
    preKeyId: opk ? opk.id : null,
    preKey: opk ? opk.publicKey : null,
    signedPreKeyId: keys.spkId,
    signedPreKey: keys.spk,
    signedPreKeySignature: keys.spkSig,
    identityKey: keys.identityKey,
    kyberPreKeyId: keys.kyberId,
    kyberPreKey: keys.kyber,
    kyberPreKeySignature: keys.kyberSig,
  };
}

/** Alice (on `engine`) starts a session with Bob and they exchange one message each way. */
async function establish(engine, alice, bob, bundle) {
  await engine.processPreKeyBundle(bundle, bob.address, alice.address, alice.stores);
  const first = await engine.encrypt(new Uint8Array(16), bob.address, alice.address, alice.stores);
  await engine.decrypt(first, alice.address, bob.address, bob.stores);
  const reply = await engine.encrypt(new Uint8Array(16), alice.address, bob.address, bob.stores);
  await engine.decrypt(reply, bob.address, alice.address, alice.stores);
}

// ---------------------------------------------------------------------------------------------
// Measurement.

/**
 * Runs `op` (async, returning the ms it wants counted, or undefined to count its whole duration)
 * repeatedly for `roundMs` per round and returns the median ops/s of `rounds` rounds.
 */
export async function measure(op, { roundMs, rounds }) {
  await op(); // warm-up (JIT, WebCrypto probe, lazy tables)
  const rates = [];
  for (let r = 0; r < rounds; r++) rates.push(await measureRound(op, roundMs));
  return median(rates);
}

/** One round: runs `op` for `roundMs` (at least twice) and returns its ops/s. */
export async function measureRound(op, roundMs) {
  let counted = 0;
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < roundMs || n < 2) {
    const t0 = performance.now();
    const own = await op();
    counted += own ?? performance.now() - t0;
    n++;
  }
  return (n * 1000) / counted;
}

/** The median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The benchmark cases; `browser: true` marks the ones also measured in Chromium. */
export const cases = [
  {
    name: 'session setup (bundle + first message each way)',
    browser: true,
    async prepare(engine) {
      const bob = await newDevice(engine);
      const keys = await generatePreKeys(engine, bob, 0);
      return { bob, keys };
    },
    async run(engine, { bob, keys }) {
      const alice = await newDevice(engine); // untimed: identity generation is not session setup
      const kp = await engine.keys.generateKeyPair();
      const id = ++prekeyId;
      await bob.stores.preKey.storePreKey(id, await engine.records.preKeyRecord(id, kp));
      // A fresh one-time Kyber prekey too, as on a real first contact (no key reuse, no warm caches).
      const kyber = await engine.keys.generateKemKeyPair();
      const kyberId = ++prekeyId;
      const { privateKey: identityPriv } = identityParts(bob.identityKeyPair);
      const kyberSig = await engine.keys.sign(identityPriv, kyber.publicKey);
      await bob.stores.kyberPreKey.storeKyberPreKey(
        kyberId,
        await engine.records.kyberPreKeyRecord(kyberId, Date.now(), kyber, kyberSig),
      );
      const bundle = bundleFor(
        bob,
        { ...keys, oneTime: [{ id, publicKey: kp.publicKey }], kyberId, kyber: kyber.publicKey, kyberSig },
        0,
      );
      const t0 = performance.now();
      await establish(engine, alice, bob, bundle);
      return performance.now() - t0;
    },
  },
  ...[100, 4096].map((size) => ({
    name: `encrypt + decrypt, ${size === 100 ? '100 B' : '4 KiB'} (one way)`,
    async prepare(engine) {
      const alice = await newDevice(engine);
      const bob = await newDevice(engine);
      const keys = await generatePreKeys(engine, bob, 1);
      await establish(engine, alice, bob, bundleFor(bob, keys, 0));
      return { alice, bob, plaintext: new Uint8Array(size).fill(0x61) };
    },
    async run(engine, { alice, bob, plaintext }) {
      const ct = await engine.encrypt(plaintext, bob.address, alice.address, alice.stores);
      await engine.decrypt(ct, alice.address, bob.address, bob.stores);
    },
  })),
  {
    name: 'round trip, 100 B (one message each way, DH ratchet on both)',
    browser: true,
    async prepare(engine) {
      const alice = await newDevice(engine);
      const bob = await newDevice(engine);
      const keys = await generatePreKeys(engine, bob, 1);
      await establish(engine, alice, bob, bundleFor(bob, keys, 0));
      return { alice, bob, plaintext: new Uint8Array(100).fill(0x62) };
    },
    async run(engine, { alice, bob, plaintext }) {
      const a = await engine.encrypt(plaintext, bob.address, alice.address, alice.stores);
      await engine.decrypt(a, alice.address, bob.address, bob.stores);
      const b = await engine.encrypt(plaintext, alice.address, bob.address, bob.stores);
      await engine.decrypt(b, bob.address, alice.address, alice.stores);
    },
  },
  {
    name: 'prekey generation (100 one-time EC + signed EC + Kyber)',
    browser: true,
    async prepare(engine) {
      return { device: await newDevice(engine) };
    },
    async run(engine, { device }) {
      await generatePreKeys(engine, device, 100);
    },
  },
  {
    name: 'group encrypt + decrypt, 100 B (sender keys)',
    async prepare(engine) {
      const sender = newAddress();
      const distributionId = '0b0b0b0b-0000-4000-8000-000000000001';
      const senderStore = memorySenderKeyStore();
      const receiverStore = memorySenderKeyStore();
      const skdm = await engine.groups.createDistributionMessage(sender, distributionId, senderStore);
      await engine.groups.processDistributionMessage(sender, skdm, receiverStore);
      return { sender, distributionId, senderStore, receiverStore, plaintext: new Uint8Array(100).fill(0x63) };
    },
    async run(engine, { sender, distributionId, senderStore, receiverStore, plaintext }) {
      const ct = await engine.groups.encrypt(sender, distributionId, senderStore, plaintext);
      await engine.groups.decrypt(sender, receiverStore, ct);
    },
  },
  {
    name: 'safety number (5200 iterations, both forms)',
    async prepare(engine) {
      const a = identityParts(await engine.keys.generateIdentityKeyPair()).publicKey;
      const b = identityParts(await engine.keys.generateIdentityKeyPair()).publicKey;
      return { a, b, aId: new Uint8Array(16).fill(1), bId: new Uint8Array(16).fill(2) };
    },
    async run(engine, { a, b, aId, bId }) {
      await engine.fingerprints.safetyNumber(5200, 2, aId, a, bId, b);
    },
  },
];

/**
 * Milliseconds for one registration's keys (identity, 100 one-time EC + signed EC + Kyber prekeys)
 * on a fresh engine, including one-time costs (WebCrypto probes, noble's precomputed tables): what
 * an app pays once. Call it before anything else warms the page up.
 */
export async function coldPreKeyGeneration(engine) {
  const t0 = performance.now();
  const device = await newDevice(engine);
  await generatePreKeys(engine, device, 100);
  return performance.now() - t0;
}
