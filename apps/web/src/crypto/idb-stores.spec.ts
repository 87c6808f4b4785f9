// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  ProtocolAddress,
  parsePreKeyRecord,
  tsEngine,
  type ProtocolStores,
} from '@pairchat/crypto';
import { KeyManager } from '@pairchat/keys';
import { DeviceStores } from './idb-stores.js';

// libs/crypto's store contract is written against jest's globals; vitest's are compatible. It is
// loaded by path at run time: the web type check covers the app, not the lib's test support.
vi.mock('@jest/globals', async () => await import('vitest'));
const CONTRACT = new URL('../../../../libs/crypto/test/support/store-contract.ts', import.meta.url).pathname;
const { runStoreContract } = (await import(/* @vite-ignore */ CONTRACT)) as {
  runStoreContract(name: string, factory: (ikp: Uint8Array, registrationId: number) => Promise<ProtocolStores>): void;
};

let sequence = 0;
const freshName = () => `pairchat-test-${Date.now()}-${++sequence}`;

async function freshStores(now?: () => number) {
  return DeviceStores.open({ name: freshName(), now });
}

/** Every value of every object store, read with plain IndexedDB (no decryption). */
async function rawDump(name: string): Promise<{ store: string; key: IDBValidKey; value: unknown }[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const out: { store: string; key: IDBValidKey; value: unknown }[] = [];
  for (const store of Array.from(db.objectStoreNames)) {
    const tx = db.transaction(store);
    const [keys, values] = await Promise.all([
      new Promise<IDBValidKey[]>((r) => {
        const q = tx.objectStore(store).getAllKeys();
        q.onsuccess = () => r(q.result);
      }),
      new Promise<unknown[]>((r) => {
        const q = tx.objectStore(store).getAll();
        q.onsuccess = () => r(q.result);
      }),
    ]);
    keys.forEach((key, i) => out.push({ store, key, value: values[i] }));
  }
  db.close();
  return out;
}

/** All byte arrays reachable in a stored value. */
function bytesIn(value: unknown): Uint8Array[] {
  if (value instanceof Uint8Array) return [value];
  if (value instanceof ArrayBuffer) return [new Uint8Array(value)];
  if (value && typeof value === 'object') return Object.values(value).flatMap(bytesIn);
  return [];
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function swapRaw(name: string, store: string, a: IDBValidKey, b: IDBValidKey): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction(store, 'readwrite');
      const os = tx.objectStore(store);
      const ga = os.get(a);
      const gb = os.get(b);
      gb.onsuccess = () => {
        os.put(gb.result, a);
        os.put(ga.result, b);
      };
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

function copyRaw(name: string, [fromStore, fromKey]: [string, IDBValidKey], [toStore, toKey]: [string, IDBValidKey]) {
  return new Promise<void>((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction([fromStore, toStore], 'readwrite');
      const get = tx.objectStore(fromStore).get(fromKey);
      get.onsuccess = () => tx.objectStore(toStore).put(get.result, toKey);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

function databaseExists(name: string): Promise<boolean> {
  return indexedDB.databases().then((dbs) => dbs.some((db) => db.name === name));
}

runStoreContract('IndexedDB (encrypted at rest)', async (identityKeyPair, registrationId) => {
  const stores = await freshStores();
  await stores.setLocalIdentity(identityKeyPair, registrationId);
  return stores.protocol;
});

describe(DeviceStores.name, () => {
  const alice = new ProtocolAddress('9d0652a3-dcc3-4d11-975f-74d61598733f', 1);
  const aliceTablet = new ProtocolAddress('9d0652a3-dcc3-4d11-975f-74d61598733f', 2);
  const key = (fill: number) => Uint8Array.of(0x05, ...new Uint8Array(32).fill(fill));

  it('stores no plaintext key bytes: identity, prekeys, state and sessions are all ciphertext', async () => {
    const sut = await freshStores();
    const identity = await KeyManager.createIdentity(tsEngine);
    await sut.setLocalIdentity(identity.identityKeyPair, identity.registrationId);
    const preKeyPair = await tsEngine.keys.generateKeyPair();
    await sut.protocol.preKey.storePreKey(42, await tsEngine.records.preKeyRecord(42, preKeyPair));
    const session = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    await sut.protocol.session.storeSession(alice, session);
    await sut.keyState.save({
      nextPreKeyId: 4242,
      nextKyberPreKeyId: 1,
      nextSignedPreKeyId: 1,
      signedPreKey: null,
      lastResortKyberPreKey: null,
      replaced: [],
    });

    const secrets = [
      IdentityKeyPair.deserialize(identity.identityKeyPair).privateKey.serialize(),
      IdentityKeyPair.deserialize(identity.identityKeyPair).publicKey.serialize(),
      parsePreKeyRecord((await sut.protocol.preKey.loadPreKey(42))!).privateKey.serialize(),
      preKeyPair.privateKey,
      session.subarray(8, 40),
      new TextEncoder().encode('nextPreKeyId'),
    ];
    const dump = await rawDump(sut.vaultName);
    const stored = dump.flatMap((row) => bytesIn(row.value));
    expect(stored.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) {
      expect(stored.some((bytes) => contains(bytes, secret))).toBe(false);
    }
    const wrapping = dump.find((row) => row.store === 'keyring')!.value as CryptoKey;
    expect(wrapping.extractable).toBe(false);
    expect(wrapping.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(crypto.subtle.exportKey('raw', wrapping)).rejects.toBeDefined();
    sut.close();
  });

  it('refuses a record swapped into another slot, and a tampered record', async () => {
    const sut = await freshStores();
    await sut.protocol.preKey.storePreKey(1, Uint8Array.of(1, 1, 1));
    await sut.protocol.preKey.storePreKey(2, Uint8Array.of(2, 2, 2));
    const name = sut.vaultName;
    sut.close();
    await swapRaw(name, 'preKey', 1, 2);

    const reopened = await DeviceStores.open({ name });
    await expect(reopened.protocol.preKey.loadPreKey(1)).rejects.toThrow(/does not decrypt/);
    await expect(reopened.protocol.preKey.loadPreKey(2)).rejects.toThrow(/does not decrypt/);
    // Same key, other store: the store name is bound too.
    await reopened.protocol.signedPreKey.storeSignedPreKey(3, Uint8Array.of(3));
    await reopened.protocol.preKey.storePreKey(3, Uint8Array.of(4));
    reopened.close();
    await copyRaw(name, ['signedPreKey', 3], ['preKey', 3]);
    const again = await DeviceStores.open({ name });
    expect(await again.protocol.signedPreKey.loadSignedPreKey(3)).toEqual(Uint8Array.of(3));
    await expect(again.protocol.preKey.loadPreKey(3)).rejects.toThrow(/does not decrypt/);
    again.close();
  });

  it('keeps records across reopen and uses a fresh IV for every write', async () => {
    const name = freshName();
    const first = await DeviceStores.open({ name });
    await first.protocol.session.storeSession(alice, Uint8Array.of(7, 7));
    const ivBefore = ((await rawDump(name)).find((r) => r.store === 'session')!.value as { iv: Uint8Array }).iv;
    await first.protocol.session.storeSession(alice, Uint8Array.of(7, 7));
    const ivAfter = ((await rawDump(name)).find((r) => r.store === 'session')!.value as { iv: Uint8Array }).iv;
    expect(ivAfter).not.toEqual(ivBefore);
    first.close();
    const second = await DeviceStores.open({ name });
    expect(await second.protocol.session.loadSession(alice)).toEqual(Uint8Array.of(7, 7));
    second.close();
  });

  it('wipe() deletes the database with its wrapping key; a new open starts empty with a new key', async () => {
    const sut = await freshStores();
    await sut.setLocalIdentity(IdentityKeyPair.generate().serialize(), 7);
    await sut.protocol.session.storeSession(alice, Uint8Array.of(1));
    const name = sut.vaultName;
    const keyBefore = (await rawDump(name)).find((r) => r.store === 'keyring')!.value;
    expect(await databaseExists(name)).toBe(true);

    await sut.wipe();

    expect(await databaseExists(name)).toBe(false);
    const fresh = await DeviceStores.open({ name });
    expect(await fresh.hasIdentity()).toBe(false);
    expect(await fresh.protocol.session.loadSession(alice)).toBeNull();
    const dump = await rawDump(name);
    expect(dump.filter((r) => r.store !== 'keyring')).toEqual([]);
    expect(dump.find((r) => r.store === 'keyring')!.value).not.toBe(keyBefore);
    await fresh.wipe();
    expect(await databaseExists(name)).toBe(false);
  });

  it('refuses to overwrite an existing identity', async () => {
    const sut = await freshStores();
    await sut.setLocalIdentity(IdentityKeyPair.generate().serialize(), 1);
    await expect(sut.setLocalIdentity(IdentityKeyPair.generate().serialize(), 2)).rejects.toThrow(
      /already has an identity/,
    );
    expect(await sut.protocol.identity.getLocalRegistrationId()).toBe(1);
    sut.close();
  });

  it('reports a missing identity clearly', async () => {
    const sut = await freshStores();
    await expect(sut.protocol.identity.getIdentityKeyPair()).rejects.toThrow(/no identity/);
    await expect(sut.protocol.identity.getLocalRegistrationId()).rejects.toThrow(/no registration id/);
    sut.close();
  });

  it('records a refused identity change for the warning and clears verification once the new key is accepted', async () => {
    let clock = 1_000;
    const sut = await freshStores(() => clock);
    await sut.protocol.identity.saveIdentity(alice, key(1));
    await sut.protocol.identity.saveIdentity(aliceTablet, key(1));
    await sut.setVerified(alice.name, true);
    expect(await sut.isVerified(alice.name)).toBe(true);

    clock = 2_000;
    expect(await sut.protocol.identity.isTrustedIdentity(alice, key(2), Direction.Sending)).toBe(false);
    const [notice] = await sut.identityChanges();
    expect(notice).toMatchObject({ address: alice.toString(), name: alice.name, seenAt: 2_000, accepted: false });
    expect(notice!.previousKey).toEqual(key(1));
    expect(notice!.newKey).toEqual(key(2));
    expect(await sut.isVerified(alice.name)).toBe(true); // nothing accepted yet
    expect(await sut.protocol.identity.getIdentity(alice)).toEqual(key(1));

    expect(await sut.acceptIdentityChanges(alice.name)).toBe(1);
    expect(await sut.protocol.identity.getIdentity(alice)).toEqual(key(2));
    expect(await sut.isVerified(alice.name)).toBe(false);
    const [accepted] = await sut.identityChanges();
    expect(accepted).toMatchObject({ accepted: true, seenAt: 2_000 });
    expect(accepted!.previousKey).toEqual(key(1));

    await sut.dismissIdentityChange(alice.toString());
    expect(await sut.identityChanges()).toEqual([]);
    sut.close();
  });

  it('trusts a new identity on receive without recording anything until the message decrypts', async () => {
    const sut = await DeviceStores.open({ name: freshName(), now: () => 5_000, trustOnReceive: true });
    await sut.protocol.identity.saveIdentity(alice, key(1));
    await sut.setVerified(alice.name, true);
    // An unauthenticated PreKey message must not leave a notice behind (its decrypt may still fail).
    expect(await sut.protocol.identity.isTrustedIdentity(alice, key(2), Direction.Receiving)).toBe(true);
    expect(await sut.identityChanges()).toEqual([]);
    expect(await sut.isVerified(alice.name)).toBe(true);
    // The engine saves the key only after a successful decrypt: that records the change, not
    // accepted (sends wait for the user), and clears verification.
    await sut.protocol.identity.saveIdentity(alice, key(2));
    const [notice] = await sut.identityChanges();
    expect(notice).toMatchObject({ address: alice.toString(), accepted: false, seenAt: 5_000 });
    expect(await sut.isVerified(alice.name)).toBe(false);
    expect(await sut.acceptIdentityChanges(alice.name)).toBe(1);
    expect((await sut.identityChanges())[0]).toMatchObject({ accepted: true });
    sut.close();
  });

  it('treats another key on a new device of a known contact as an identity change', async () => {
    const sut = await DeviceStores.open({ name: freshName(), now: () => 7_000, trustOnReceive: true });
    await sut.protocol.identity.saveIdentity(alice, key(1));
    // A device the server lists for alice with a key of its own: refused for sending, and noted.
    expect(await sut.protocol.identity.isTrustedIdentity(aliceTablet, key(2), Direction.Sending)).toBe(false);
    const [notice] = await sut.identityChanges();
    expect(notice).toMatchObject({ address: aliceTablet.toString(), name: alice.name, accepted: false });
    expect(notice!.previousKey).toEqual(key(1));
    expect(await sut.protocol.identity.getIdentity(aliceTablet)).toBeNull();
    // The same key on her other device is simply trusted (all devices of an account share it).
    expect(await sut.protocol.identity.isTrustedIdentity(aliceTablet, key(1), Direction.Sending)).toBe(true);
    expect(await sut.protocol.identity.saveIdentity(aliceTablet, key(1))).toBe(IdentityChange.NewOrUnchanged);
    // Accepting gives every device of the account the new key.
    expect(await sut.acceptIdentityChanges(alice.name)).toBe(1);
    expect(await sut.protocol.identity.getIdentity(alice)).toEqual(key(2));
    expect(await sut.protocol.identity.getIdentity(aliceTablet)).toEqual(key(2));
    expect(await sut.accountIdentity(alice.name)).toEqual(key(2));
    sut.close();
  });

  it('refuses any other identity key for a device of our own account, in both directions', async () => {
    const sut = await DeviceStores.open({ name: freshName(), trustOnReceive: true });
    const own = IdentityKeyPair.generate();
    await sut.setLocalIdentity(own.serialize(), 7);
    await sut.setLocalDevice({ userId: alice.name, protocolDeviceId: 1 });
    const ownKey = own.publicKey.serialize();
    expect(await sut.accountIdentity(alice.name)).toEqual(ownKey);
    for (const direction of [Direction.Sending, Direction.Receiving]) {
      expect(await sut.protocol.identity.isTrustedIdentity(aliceTablet, key(2), direction)).toBe(false);
      expect(await sut.protocol.identity.isTrustedIdentity(aliceTablet, ownKey, direction)).toBe(true);
    }
    await expect(sut.protocol.identity.saveIdentity(aliceTablet, key(2))).rejects.toMatchObject({
      code: 'UntrustedIdentity',
    });
    expect(await sut.protocol.identity.getIdentity(aliceTablet)).toBeNull();
    expect(await sut.identityChanges()).toEqual([]);
    sut.close();
  });

  it('deletes one session and leaves the others', async () => {
    const sut = await freshStores();
    await sut.protocol.session.storeSession(alice, new Uint8Array([1]));
    await sut.protocol.session.storeSession(aliceTablet, new Uint8Array([2]));
    await sut.deleteSession(alice);
    expect(await sut.protocol.session.loadSession(alice)).toBeNull();
    expect(await sut.protocol.session.loadSession(aliceTablet)).toEqual(new Uint8Array([2]));
    sut.close();
  });

  it('verification holds only while every device of the contact has the verified key', async () => {
    const sut = await freshStores();
    await expect(sut.setVerified(alice.name, true)).rejects.toThrow(/no identity key known/);
    await sut.protocol.identity.saveIdentity(alice, key(1));
    await sut.setVerified(alice.name, true);
    expect(await sut.isVerified(alice.name)).toBe(true);
    expect(await sut.protocol.identity.saveIdentity(aliceTablet, key(3))).toBe(IdentityChange.ReplacedExisting);
    expect(await sut.isVerified(alice.name)).toBe(false);
    await sut.setVerified(alice.name, false);
    expect(await sut.isVerified(alice.name)).toBe(false);
    sut.close();
  });

  it('keeps a last-resort Kyber prekey after use but refuses the same (id, signed id, base key) again', async () => {
    const sut = await freshStores();
    await sut.protocol.kyberPreKey.storeKyberPreKey(9, Uint8Array.of(9));
    await sut.markLastResort(9);
    await sut.protocol.kyberPreKey.markKyberPreKeyUsed(9, 1, key(7));
    expect(await sut.protocol.kyberPreKey.loadKyberPreKey(9)).toEqual(Uint8Array.of(9));
    await expect(sut.protocol.kyberPreKey.markKyberPreKeyUsed(9, 1, key(7))).rejects.toMatchObject({
      name: 'ProtocolError',
      code: 'InvalidMessage',
    });
    await sut.protocol.kyberPreKey.markKyberPreKeyUsed(9, 2, key(7));
    await sut.protocol.kyberPreKey.markKyberPreKeyUsed(9, 1, key(8));

    // Removing the key (grace period over) forgets its replay records too.
    await sut.removal.removeKyberPreKey(9);
    expect(await sut.protocol.kyberPreKey.loadKyberPreKey(9)).toBeNull();
    expect(
      (await rawDump(sut.vaultName)).filter((r) => r.store === 'kyberUsed' || r.store === 'kyberLastResort'),
    ).toEqual([]);
    sut.close();
  });

  it('deletes a one-time Kyber prekey once used', async () => {
    const sut = await freshStores();
    await sut.protocol.kyberPreKey.storeKyberPreKey(4, Uint8Array.of(4));
    await sut.protocol.kyberPreKey.markKyberPreKeyUsed(4, 1, key(7));
    expect(await sut.protocol.kyberPreKey.loadKyberPreKey(4)).toBeNull();
    sut.close();
  });

  it('stores sender keys per (sender, distribution id)', async () => {
    const sut = await freshStores();
    const group = 'd1d1d1d1-0000-4000-8000-000000000001';
    const other = 'd1d1d1d1-0000-4000-8000-000000000002';
    expect(await sut.senderKeys.getSenderKey(alice, group)).toBeNull();
    await sut.senderKeys.saveSenderKey(alice, group, Uint8Array.of(1));
    await sut.senderKeys.saveSenderKey(alice, other, Uint8Array.of(2));
    await sut.senderKeys.saveSenderKey(aliceTablet, group, Uint8Array.of(3));
    expect(await sut.senderKeys.getSenderKey(alice, group)).toEqual(Uint8Array.of(1));
    expect(await sut.senderKeys.getSenderKey(alice, other)).toEqual(Uint8Array.of(2));
    expect(await sut.senderKeys.getSenderKey(aliceTablet, group)).toEqual(Uint8Array.of(3));
    sut.close();
  });

  it('runs a full PQXDH session between two IndexedDB devices, including the key manager upload', async () => {
    const bobStores = await freshStores();
    const bobIdentity = await KeyManager.createIdentity(tsEngine);
    await bobStores.setLocalIdentity(bobIdentity.identityKeyPair, bobIdentity.registrationId);
    const manager = new KeyManager({
      engine: tsEngine,
      stores: bobStores.protocol,
      state: bobStores.keyState,
      removal: bobStores.removal,
      markLastResort: (id) => bobStores.markLastResort(id),
    });
    const upload = await manager.initialUpload();
    expect(upload.preKeys).toHaveLength(100);
    expect(upload.kyberPreKeys).toHaveLength(100);
    const state = await bobStores.keyState.load();
    expect(state?.lastResortKyberPreKey?.keyId).toBe(upload.lastResortKyberPreKey!.keyId);

    const aliceStores = await freshStores();
    const aliceIdentity = await KeyManager.createIdentity(tsEngine);
    await aliceStores.setLocalIdentity(aliceIdentity.identityKeyPair, aliceIdentity.registrationId);
    const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const bob = new ProtocolAddress('796abedb-ca4e-4f18-8803-1fde5b921f9f', 1);
    await tsEngine.processPreKeyBundle(
      {
        registrationId: bobIdentity.registrationId,
        deviceId: 1,
        preKeyId: upload.preKeys![0]!.keyId,
        preKey: b64(upload.preKeys![0]!.publicKey),
        signedPreKeyId: upload.signedPreKey!.keyId,
        signedPreKey: b64(upload.signedPreKey!.publicKey),
        signedPreKeySignature: b64(upload.signedPreKey!.signature),
        identityKey: b64(upload.identityKey),
        kyberPreKeyId: upload.lastResortKyberPreKey!.keyId,
        kyberPreKey: b64(upload.lastResortKyberPreKey!.publicKey),
        kyberPreKeySignature: b64(upload.lastResortKyberPreKey!.signature),
      },
      bob,
      alice,
      aliceStores.protocol,
    );
    const text = new TextEncoder().encode('hello from IndexedDB');
    const message = await tsEngine.encrypt(text, bob, alice, aliceStores.protocol);
    expect(await tsEngine.decrypt(message, alice, bob, bobStores.protocol)).toEqual(text);
    // The one-time EC prekey is gone; the last-resort Kyber key stays but refuses the replay.
    expect(await bobStores.protocol.preKey.loadPreKey(upload.preKeys![0]!.keyId)).toBeNull();
    expect(await bobStores.protocol.kyberPreKey.loadKyberPreKey(upload.lastResortKyberPreKey!.keyId)).not.toBeNull();
    await expect(tsEngine.decrypt(message, alice, bob, bobStores.protocol)).rejects.toBeDefined();
    aliceStores.close();
    bobStores.close();
  }, 60_000);
});
