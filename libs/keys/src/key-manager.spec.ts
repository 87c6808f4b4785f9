import { beforeEach, describe, expect, it } from '@jest/globals';
import { ProtocolAddress, type ProtocolEngine, tsEngine } from '@pairchat/crypto';
import { nativeEngine } from '@pairchat/crypto/native';
import { inMemoryStores, type InMemoryStores } from '../../crypto/test/support/memory-stores.js';
import { bundleFromWire } from './bundle.js';
import { decodeKeysUpload } from './decode.js';
import { KeyManager, type KeyManagerState } from './key-manager.js';
import { ONE_TIME_PREKEY_TARGET, REPLACED_PREKEY_GRACE_MS, SIGNED_PREKEY_ROTATION_MS } from './policy.js';
import { verifyKeysUpload } from './verify.js';
import type { KeysUploadRequest } from './wire.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

class MemoryKeyState {
  value: KeyManagerState | null = null;
  async load() {
    return this.value && structuredClone(this.value);
  }
  async save(state: KeyManagerState) {
    this.value = structuredClone(state);
  }
}

interface Device {
  engine: ProtocolEngine;
  stores: InMemoryStores;
  state: MemoryKeyState;
  manager: KeyManager;
  registrationId: number;
  clock: { now: number };
}

async function newDevice(engine: ProtocolEngine): Promise<Device> {
  const { identityKeyPair, registrationId } = await KeyManager.createIdentity(engine);
  const stores = inMemoryStores(identityKeyPair, registrationId);
  const state = new MemoryKeyState();
  const clock = { now: Date.UTC(2026, 10, 1) };
  const manager = new KeyManager({
    engine,
    stores,
    state,
    now: () => clock.now,
    markLastResort: async (id) => void stores.kyberPreKey.lastResort.add(id),
    removal: {
      removeSignedPreKey: async (id) => void stores.signedPreKey.records.delete(id),
      removeKyberPreKey: async (id) => void stores.kyberPreKey.records.delete(id),
    },
  });
  return { engine, stores, state, manager, registrationId, clock };
}

/** What the key directory would hand out: the signed key, one one-time key of each kind (or the last resort). */
function bundleOf(device: Device, upload: KeysUploadRequest, useOneTime = true) {
  return bundleFromWire(decodeKeysUpload(upload).identityKey, {
    deviceId: '6f1c1d2e-8a4b-4c3d-9e2f-0a1b2c3d4e5f',
    protocolDeviceId: 1,
    registrationId: device.registrationId,
    signedPreKey: upload.signedPreKey!,
    preKey: useOneTime ? upload.preKeys![0]! : null,
    kyberPreKey: useOneTime ? upload.kyberPreKeys![0]! : upload.lastResortKyberPreKey!,
  });
}

/** `sender` (other engine) starts a session from `bundle`; the device decrypts the first message. */
let senders = 0;
async function roundTrip(device: Device, senderEngine: ProtocolEngine, bundle: ReturnType<typeof bundleOf>) {
  const sender = await newDevice(senderEngine);
  // Each sender is a new account: the device trusts each identity on first use.
  const senderAddress = new ProtocolAddress(`sender-${++senders}`, 1);
  const deviceAddress = new ProtocolAddress('device', 1);
  await senderEngine.processPreKeyBundle(bundle, deviceAddress, senderAddress, sender.stores);
  const message = await senderEngine.encrypt(utf8('hello'), deviceAddress, senderAddress, sender.stores);
  return device.engine.decrypt(message, senderAddress, deviceAddress, device.stores);
}

const engines = [tsEngine, nativeEngine];

describe(KeyManager.name, () => {
  for (const engine of engines) {
    describe(`keys made with the ${engine.name} engine`, () => {
      let sut: Device;
      beforeEach(async () => {
        sut = await newDevice(engine);
      });

      it('publishes a complete first upload that the server-side checks accept', async () => {
        const progress: number[] = [];
        const device = await newDevice(engine);
        const manager = new KeyManager({
          engine,
          stores: device.stores,
          state: device.state,
          onProgress: (d) => progress.push(d),
        });
        const upload = await manager.initialUpload();
        expect(upload.preKeys).toHaveLength(ONE_TIME_PREKEY_TARGET);
        expect(upload.kyberPreKeys).toHaveLength(ONE_TIME_PREKEY_TARGET);
        expect(progress.at(-1)).toBe(2 + 2 * ONE_TIME_PREKEY_TARGET);
        expect(await verifyKeysUpload(decodeKeysUpload(upload), nativeEngine.keys)).toEqual([]);
        expect(device.stores.preKey.records.size).toBe(ONE_TIME_PREKEY_TARGET);
        expect(device.stores.kyberPreKey.records.size).toBe(ONE_TIME_PREKEY_TARGET + 1);
      });

      for (const senderEngine of engines) {
        it(`lets a ${senderEngine.name} sender open a session with one-time keys and with the last resort`, async () => {
          const upload = await sut.manager.initialUpload();
          expect(new TextDecoder().decode(await roundTrip(sut, senderEngine, bundleOf(sut, upload)))).toBe('hello');
          expect(sut.stores.preKey.records.has(upload.preKeys![0]!.keyId)).toBe(false);
          expect(new TextDecoder().decode(await roundTrip(sut, senderEngine, bundleOf(sut, upload, false)))).toBe(
            'hello',
          );
          expect(sut.stores.kyberPreKey.records.has(upload.lastResortKyberPreKey!.keyId)).toBe(true);
        });
      }

      it('replenishes below the threshold with ids that continue where they stopped', async () => {
        const first = await sut.manager.initialUpload();
        expect(await sut.manager.replenishUpload({ ecPreKeys: 10, kyberPreKeys: 10 })).toBeNull();
        const more = await sut.manager.replenishUpload({ ecPreKeys: 4, kyberPreKeys: 60 });
        expect(more!.preKeys).toHaveLength(96);
        expect(more!.kyberPreKeys).toHaveLength(40);
        const lastId = first.preKeys!.at(-1)!.keyId;
        expect(more!.preKeys![0]!.keyId).toBe(lastId === 0xffffff ? 1 : lastId + 1);
        expect(await verifyKeysUpload(decodeKeysUpload(more!), nativeEngine.keys)).toEqual([]);
      });

      it('rotates after two days and keeps the old signed key through the grace period', async () => {
        const first = await sut.manager.initialUpload();
        sut.clock.now += SIGNED_PREKEY_ROTATION_MS - 1;
        expect(await sut.manager.rotationUpload()).toBeNull();
        sut.clock.now += 1;
        const rotated = await sut.manager.rotationUpload();
        expect(rotated!.signedPreKey!.keyId).not.toBe(first.signedPreKey!.keyId);
        expect(rotated!.lastResortKyberPreKey!.keyId).not.toBe(first.lastResortKyberPreKey!.keyId);
        // A sender still holding the old bundle (in flight) gets through.
        expect(new TextDecoder().decode(await roundTrip(sut, nativeEngine, bundleOf(sut, first)))).toBe('hello');
        expect(await sut.manager.purgeReplaced()).toBe(0);
        sut.clock.now += REPLACED_PREKEY_GRACE_MS + 1;
        expect(await sut.manager.purgeReplaced()).toBe(2);
        expect(sut.stores.signedPreKey.records.has(first.signedPreKey!.keyId)).toBe(false);
        await expect(
          roundTrip(
            sut,
            nativeEngine,
            bundleOf(sut, { ...first, preKeys: [first.preKeys![1]!], kyberPreKeys: [first.kyberPreKeys![1]!] }),
          ),
        ).rejects.toThrow();
      });

      it('refuses to replenish or rotate before the first upload', async () => {
        await expect(sut.manager.replenishUpload({ ecPreKeys: 0, kyberPreKeys: 0 })).rejects.toThrow(/initialUpload/);
        await expect(sut.manager.rotationUpload()).rejects.toThrow(/initialUpload/);
      });
    });
  }
});
