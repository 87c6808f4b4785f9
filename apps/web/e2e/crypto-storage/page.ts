/**
 * The page of `crypto-storage.e2e.ts`: exposes the browser-side checks as `window.cryptoE2E` for
 * the jest spec to call in Chromium. Built with the web app's Vite config (same aliases, same
 * worker bundling), served by the real api (same origin, same CSP).
 */
import { Direction, IdentityKeyPair, ProtocolAddress, fromBase64, tsEngine } from '@pairchat/crypto';
import type { KeysUploadRequest } from '@pairchat/keys';
import { ApiClient } from '../../src/api/client.js';
import { DeviceKeys, type DeviceKeysState } from '../../src/crypto/device-keys.js';
import { EngineClient, createEngineWorker } from '../../src/crypto/engine-client.js';
import { DeviceStores } from '../../src/crypto/idb-stores.js';
import { createKeyDirectory } from '../../src/crypto/key-directory.js';

const random = () => crypto.getRandomValues(new Uint32Array(2)).join('-');

interface RawRow {
  store: string;
  key: IDBValidKey;
  value: unknown;
}

async function rawDump(name: string): Promise<RawRow[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const rows: RawRow[] = [];
  for (const store of Array.from(db.objectStoreNames)) {
    const os = db.transaction(store).objectStore(store);
    const keys = await new Promise<IDBValidKey[]>((r) => {
      const q = os.getAllKeys();
      q.onsuccess = () => r(q.result);
    });
    const values = await new Promise<unknown[]>((r) => {
      const q = db.transaction(store).objectStore(store).getAll();
      q.onsuccess = () => r(q.result);
    });
    keys.forEach((key, i) => rows.push({ store, key, value: values[i] }));
  }
  db.close();
  return rows;
}

function copyRaw(name: string, store: string, from: IDBValidKey, to: IDBValidKey): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction(store, 'readwrite');
      const get = tx.objectStore(store).get(from);
      get.onsuccess = () => tx.objectStore(store).put(get.result, to);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

const bytesIn = (value: unknown): Uint8Array[] =>
  value instanceof Uint8Array
    ? [value]
    : value instanceof ArrayBuffer
      ? [new Uint8Array(value)]
      : value && typeof value === 'object' && !(value instanceof CryptoKey)
        ? Object.values(value).flatMap(bytesIn)
        : [];

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** How many of `secrets` appear anywhere in the raw database. */
async function plaintextHits(name: string, secrets: Uint8Array[]): Promise<number> {
  const stored = (await rawDump(name)).flatMap((row) => bytesIn(row.value));
  return secrets.filter((secret) => stored.some((bytes) => contains(bytes, secret))).length;
}

/** The stores on real IndexedDB and WebCrypto, in the page's thread. */
async function storeChecks() {
  const name = `e2e-store-${random()}`;
  const stores = await DeviceStores.open({ name });
  const identity = IdentityKeyPair.generate();
  await stores.setLocalIdentity(identity.serialize(), 1234);
  const peer = new ProtocolAddress('796abedb-ca4e-4f18-8803-1fde5b921f9f', 1);
  const key = (fill: number) => Uint8Array.of(0x05, ...new Uint8Array(32).fill(fill));
  const preKeyPair = await tsEngine.keys.generateKeyPair();
  await stores.protocol.preKey.storePreKey(1, await tsEngine.records.preKeyRecord(1, preKeyPair));
  await stores.protocol.preKey.storePreKey(2, Uint8Array.of(2));
  const session = crypto.getRandomValues(new Uint8Array(48));
  await stores.protocol.session.storeSession(peer, session);

  const results: Record<string, unknown> = {};
  results.identityRoundTrip = (await stores.protocol.identity.getLocalRegistrationId()) === 1234;
  results.sessionRoundTrip = String(await stores.protocol.session.loadSession(peer)) === String(session);
  results.tofuFirst = await stores.protocol.identity.isTrustedIdentity(peer, key(1), Direction.Sending);
  await stores.protocol.identity.saveIdentity(peer, key(1));
  // Receiving: refused without trustOnReceive, and nothing recorded (the message is not authenticated yet).
  results.changedRefused = !(await stores.protocol.identity.isTrustedIdentity(peer, key(2), Direction.Receiving));
  results.receiveRecordsNothing = (await stores.identityChanges()).length === 0;
  // Sending: refused and recorded for the warning.
  results.changedRefusedOnSend = !(await stores.protocol.identity.isTrustedIdentity(peer, key(2), Direction.Sending));
  results.changeRecorded = (await stores.identityChanges()).length === 1;
  await stores.protocol.kyberPreKey.storeKyberPreKey(7, Uint8Array.of(7));
  await stores.markLastResort(7);
  await stores.protocol.kyberPreKey.markKyberPreKeyUsed(7, 1, key(9));
  results.replayRefused = await stores.protocol.kyberPreKey.markKyberPreKeyUsed(7, 1, key(9)).then(
    () => false,
    (error: { code?: string }) => error.code === 'InvalidMessage',
  );

  const rows = await rawDump(name);
  const wrapping = rows.find((row) => row.store === 'keyring')?.value as CryptoKey;
  results.wrappingKey = {
    type: wrapping.constructor.name,
    extractable: wrapping.extractable,
    algorithm: wrapping.algorithm,
  };
  results.exportRefused = await crypto.subtle.exportKey('raw', wrapping).then(
    () => false,
    () => true,
  );
  results.plaintextHits = await plaintextHits(name, [
    identity.privateKey.serialize(),
    identity.publicKey.serialize(),
    preKeyPair.privateKey,
    preKeyPair.publicKey,
    session.subarray(0, 24),
  ]);
  stores.close();

  await copyRaw(name, 'preKey', 1, 2);
  const reopened = await DeviceStores.open({ name });
  results.swappedRefused = await reopened.protocol.preKey.loadPreKey(2).then(
    () => false,
    (error: Error) => error.name === 'VaultIntegrityError',
  );
  results.untouchedReadable = (await reopened.protocol.preKey.loadPreKey(1)) !== null;
  await reopened.wipe();
  results.leftAfterWipe = (await indexedDB.databases()).filter((db) => db.name === name).length;
  return results;
}

/** A device's full first key generation in the worker, with the page's responsiveness measured. */
async function generateKeys() {
  const client = new EngineClient(createEngineWorker());
  const database = `e2e-keys-${random()}`;
  try {
    await client.open(database, '9d0652a3-dcc3-4d11-975f-74d61598733f');
    await client.createIdentity();
    let maxGapMs = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 10);
    let progressEvents = 0;
    let total = 0;
    const started = performance.now();
    const upload: KeysUploadRequest = await client.initialUpload((_done, all) => {
      progressEvents++;
      total = all;
    });
    const ms = performance.now() - started;
    clearInterval(timer);
    const publics = [
      fromBase64(upload.identityKey),
      fromBase64(upload.signedPreKey!.publicKey),
      fromBase64(upload.lastResortKyberPreKey!.publicKey).subarray(0, 64),
      ...upload.preKeys!.slice(0, 10).map((k) => fromBase64(k.publicKey)),
      ...upload.kyberPreKeys!.slice(0, 10).map((k) => fromBase64(k.publicKey).subarray(0, 64)),
    ];
    const rows = await rawDump(database);
    const count = (store: string) => rows.filter((row) => row.store === store).length;
    return {
      ms,
      progressEvents,
      total,
      maxGapMs,
      preKeys: upload.preKeys!.length,
      kyberPreKeys: upload.kyberPreKeys!.length,
      stored: { preKey: count('preKey'), kyberPreKey: count('kyberPreKey'), signedPreKey: count('signedPreKey') },
      plaintextHits: await plaintextHits(database, publics),
    };
  } finally {
    await client.wipe().catch(() => undefined);
    client.terminate();
  }
}

/** Two worker-backed devices talk; both see the same safety number. */
async function sessionAndSafety() {
  const make = async (userId: string) => {
    const client = new EngineClient(createEngineWorker());
    await client.open(`e2e-session-${random()}`, userId);
    const status = await client.createIdentity();
    const upload = await client.initialUpload();
    await client.setProtocolDeviceId(1);
    return { client, upload, registrationId: status.registrationId!, address: { name: userId, deviceId: 1 } };
  };
  const alice = await make('9d0652a3-dcc3-4d11-975f-74d61598733f');
  const bob = await make('796abedb-ca4e-4f18-8803-1fde5b921f9f');
  try {
    const u = bob.upload;
    await alice.client.processPreKeyBundle(
      {
        registrationId: bob.registrationId,
        deviceId: 1,
        preKeyId: u.preKeys![0]!.keyId,
        preKey: fromBase64(u.preKeys![0]!.publicKey),
        signedPreKeyId: u.signedPreKey!.keyId,
        signedPreKey: fromBase64(u.signedPreKey!.publicKey),
        signedPreKeySignature: fromBase64(u.signedPreKey!.signature),
        identityKey: fromBase64(u.identityKey),
        kyberPreKeyId: u.kyberPreKeys![0]!.keyId,
        kyberPreKey: fromBase64(u.kyberPreKeys![0]!.publicKey),
        kyberPreKeySignature: fromBase64(u.kyberPreKeys![0]!.signature),
      },
      bob.address,
    );
    const text = new TextEncoder().encode('hello in Chromium');
    const received = await bob.client.decrypt(await alice.client.encrypt(text, bob.address), alice.address);
    const reply = await alice.client.decrypt(
      await bob.client.encrypt(new TextEncoder().encode('hello back'), alice.address),
      bob.address,
    );
    const aliceView = await alice.client.safetyNumber(bob.address.name);
    const bobView = await bob.client.safetyNumber(alice.address.name);
    return {
      received: new TextDecoder().decode(received),
      reply: new TextDecoder().decode(reply),
      safetyNumber: aliceView.displayable,
      sameSafetyNumber: aliceView.displayable === bobView.displayable,
      scanMatches: await alice.client.compareScanned(bob.address.name, bobView.scannable),
    };
  } finally {
    for (const { client } of [alice, bob]) {
      await client.wipe().catch(() => undefined);
      client.terminate();
    }
  }
}

/** The first-login flow against the real api: create, upload, then a quiet second sign-in. */
async function deviceKeysAgainstApi(accessToken: string, userId: string, deviceId: string) {
  const api = new ApiClient();
  api.useTokens({ accessToken: () => accessToken, refresh: async () => false });
  const directory = createKeyDirectory(api);
  const phases: DeviceKeysState['phase'][] = [];
  const client = new EngineClient(createEngineWorker());
  const keys = new DeviceKeys({ engine: client, directory, onState: (state) => phases.push(state.phase) });
  const first = await keys.ensure({ userId, deviceId });
  const counts = await directory.getPreKeyCount();
  const second = await keys.ensure({ userId, deviceId });
  const status = await client.status();
  client.terminate();
  return {
    first,
    second,
    counts,
    status,
    generatingEvents: phases.filter((p) => p === 'generating').length,
    uploads: phases.filter((p) => p === 'uploading').length,
  };
}

/** A second, key-less browser of the same account: the api refuses a new identity. */
async function conflictAgainstApi(accessToken: string, userId: string, deviceId: string) {
  const api = new ApiClient();
  api.useTokens({ accessToken: () => accessToken, refresh: async () => false });
  const client = new EngineClient(createEngineWorker());
  const keys = new DeviceKeys({ engine: client, directory: createKeyDirectory(api) });
  const state = await keys.ensure({ userId, deviceId });
  client.terminate();
  return state;
}

Object.assign(window, {
  cryptoE2E: { storeChecks, generateKeys, sessionAndSafety, deviceKeysAgainstApi, conflictAgainstApi },
});
document.getElementById('status')!.textContent = 'ready';
