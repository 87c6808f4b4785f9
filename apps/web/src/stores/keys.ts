import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import { api } from '@/api/index.js';
import { DeviceKeys, type DeviceKeysAccount, type DeviceKeysState } from '@/crypto/device-keys.js';
import { createEngineWorker, EngineClient, type WorkerLike } from '@/crypto/engine-client.js';
import { createKeyDirectory, type KeyDirectory } from '@/crypto/key-directory.js';

/** What the store builds its worker and directory from; tests replace them. */
export const deviceKeysDependencies: { createWorker: () => WorkerLike; directory: () => KeyDirectory } = {
  createWorker: createEngineWorker,
  directory: () => createKeyDirectory(api),
};

/**
 * This browser device's keys: the crypto worker, the first-login key generation and upload (with
 * progress), replenishment and rotation, the identity-conflict state and wiping.
 *
 * - `state.phase` is `generating` while the worker makes keys (`progress` 0..1 for the indicator).
 * - `identity-conflict`: the account's identity was made on another device; offer "link this
 *   device" (linking is done elsewhere) or {@link resetIdentity}.
 * - {@link engine} is the worker client for encrypt/decrypt and safety numbers once `ready`.
 */
export const useDeviceKeysStore = defineStore('deviceKeys', () => {
  const state = shallowRef<DeviceKeysState>({ phase: 'idle' });
  let client: EngineClient | null = null;
  let keys: DeviceKeys | null = null;
  let lastAccount: DeviceKeysAccount | null = null;

  const phase = computed(() => state.value.phase);
  const isReady = computed(() => state.value.phase === 'ready');
  const progress = computed(() =>
    state.value.phase === 'generating' ? state.value.done / Math.max(1, state.value.total) : null,
  );
  const protocolDeviceId = computed(() => (state.value.phase === 'ready' ? state.value.protocolDeviceId : null));

  function engine(): EngineClient {
    client ??= new EngineClient(deviceKeysDependencies.createWorker());
    return client;
  }

  function manager(): DeviceKeys {
    if (keys) return keys;
    const created: DeviceKeys = new DeviceKeys({
      engine: engine(),
      directory: deviceKeysDependencies.directory(),
      onState: (next) => {
        // A run cut short by stop() (sign-out, another device) must not overwrite the new state.
        if (keys === created) state.value = next;
      },
    });
    keys = created;
    return created;
  }

  /** Creates and uploads keys if this browser has none for the device; replenishes/rotates otherwise. */
  function ensure(account: DeviceKeysAccount): Promise<DeviceKeysState> {
    lastAccount = account;
    return manager().ensure(account);
  }

  /** Runs {@link ensure} again for the last account (after an error). */
  function retry(): Promise<DeviceKeysState> {
    if (!lastAccount) return Promise.resolve(state.value);
    return ensure(lastAccount);
  }

  /** Replaces the account's identity with a new one from this device (see DeviceKeys.resetIdentity). */
  function resetIdentity(): Promise<DeviceKeysState> {
    return manager().resetIdentity();
  }

  /** Deletes this device's keys from the browser, then stops the worker. */
  async function wipe(account?: DeviceKeysAccount): Promise<void> {
    try {
      await manager().wipe(account);
    } finally {
      stop();
    }
  }

  /** Stops the worker (sign-out that keeps the device); keys stay in IndexedDB. */
  function stop(): void {
    client?.terminate();
    client = null;
    keys = null;
    lastAccount = null;
    state.value = { phase: 'idle' };
  }

  return { state, phase, isReady, progress, protocolDeviceId, engine, ensure, retry, resetIdentity, wipe, stop };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDeviceKeysStore, import.meta.hot));
