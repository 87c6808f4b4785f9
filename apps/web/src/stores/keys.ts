import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import { type DeviceLinkDto, subscribeLinkCompleted } from '@pairchat/messaging';
import { api, describeError } from '@/api/index.js';
import {
  createDeviceLinkApi,
  describeLinkError,
  type DeviceLinkApi,
  waitForSealedIdentity,
} from '@/crypto/device-link-api.js';
import { parseDeviceLinkCode } from '@/crypto/device-link-code.js';
import { DeviceKeys, type DeviceKeysAccount, type DeviceKeysState } from '@/crypto/device-keys.js';
import { createEngineWorker, EngineClient, type WorkerLike } from '@/crypto/engine-client.js';
import { createKeyDirectory, type KeyDirectory } from '@/crypto/key-directory.js';
import { useSessionStore } from './session.js';

/** What the store builds its worker, directory and linking api from; tests replace them. */
export const deviceKeysDependencies: {
  createWorker: () => WorkerLike;
  directory: () => KeyDirectory;
  linkApi: () => DeviceLinkApi;
  /** Calls back on `device:link-completed` for this device; returns the unsubscribe. */
  linkEvents: (onCompleted: (linkId: string) => void) => () => void;
  /** How often a new device asks whether its link was completed (the socket event asks at once). */
  linkPollMs: number;
} = {
  createWorker: createEngineWorker,
  directory: () => createKeyDirectory(api),
  linkApi: () => createDeviceLinkApi(api),
  // The chat's socket starts only once the device has keys, so the waiting device listens on its own.
  linkEvents: (onCompleted) =>
    subscribeLinkCompleted({
      url: globalThis.location?.origin ?? '',
      getAccessToken: () => useSessionStore().accessToken,
      onCompleted,
    }),
  linkPollMs: 2000,
};

/** "Link this device" on a new device, as the identity-conflict screen shows it. */
export type DeviceLinkState =
  | { phase: 'idle' }
  | { phase: 'starting' }
  /** Showing the code; waiting for another device of the account to use it. */
  | { phase: 'waiting'; linkId: string; code: string; expiresAt: string }
  | { phase: 'importing' }
  /**
   * Linked: the identity came sealed to this code's key and secret. `confirmation` is shown as a
   * second check; the user compares it with the number on the other device.
   */
  | { phase: 'linked'; confirmation: string | null }
  | { phase: 'failed'; message: string };

const linkErrorMessage = (error: unknown) => describeLinkError(error) ?? describeError(error);

/**
 * This browser device's keys: the crypto worker, the first-login key generation and upload (with
 * progress), replenishment and rotation, the identity-conflict state and wiping.
 *
 * - `state.phase` is `generating` while the worker makes keys (`progress` 0..1 for the indicator).
 * - `identity-conflict`: the account's identity was made on another device; offer "link this
 *   device" ({@link startLink}, progress in `link`) or {@link resetIdentity}.
 * - On a device that is `ready`, {@link lookUpLink} and {@link confirmLink} link another one.
 * - {@link engine} is the worker client for encrypt/decrypt and safety numbers once `ready`.
 */
export const useDeviceKeysStore = defineStore('deviceKeys', () => {
  const state = shallowRef<DeviceKeysState>({ phase: 'idle' });
  const link = shallowRef<DeviceLinkState>({ phase: 'idle' });
  let linkRun: AbortController | null = null;
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

  /**
   * Uploads one-time prekeys and rotates what is due, staying `ready` (the server's
   * `keys:replenish` / `keys:rotate` on the chat socket). @throws when an upload fails
   */
  function maintain(): Promise<DeviceKeysState> {
    return keys ? keys.maintain() : Promise.resolve(state.value);
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

  /**
   * New device, identity conflict: shows a code ({@link link} `waiting`), waits until another
   * device of the account used it, imports the identity and publishes this device's prekeys.
   * Calling it again replaces the code with a new one.
   */
  async function startLink(): Promise<void> {
    linkRun?.abort();
    const run = new AbortController();
    linkRun = run;
    const linkApi = deviceKeysDependencies.linkApi();
    const keysManager = manager();
    const current = (next: DeviceLinkState) => {
      if (linkRun === run) link.value = next;
    };
    current({ phase: 'starting' });
    const woken = new Set<() => void>();
    let unsubscribe: (() => void) | null = null;
    try {
      const opened = await keysManager.beginLink(linkApi);
      current({ phase: 'waiting', ...opened });
      unsubscribe = deviceKeysDependencies.linkEvents((linkId) => {
        if (linkId === opened.linkId) for (const wake of woken) wake();
      });
      const sealed = await waitForSealedIdentity(linkApi, opened.linkId, {
        pollMs: deviceKeysDependencies.linkPollMs,
        signal: run.signal,
        wake: (listener) => {
          woken.add(listener);
          return () => woken.delete(listener);
        },
      });
      unsubscribe();
      unsubscribe = null;
      if (run.signal.aborted) return;
      current({ phase: 'importing' });
      const { state: next, confirmation } = await keysManager.completeLink(opened.linkId, sealed);
      if (next.phase !== 'ready') {
        current({ phase: 'failed', message: linkErrorMessage(next.phase === 'error' ? next.error : null) });
        return;
      }
      current({ phase: 'linked', confirmation });
      // The sealed identity has done its job; the server would also sweep it after expiry.
      await linkApi.remove(opened.linkId).catch(() => undefined);
    } catch (error) {
      if (!run.signal.aborted) current({ phase: 'failed', message: linkErrorMessage(error) });
    } finally {
      unsubscribe?.();
    }
  }

  /** Stops waiting for a link (the code stops working when it expires, or when a new one is made). */
  function cancelLink(): void {
    const waiting = link.value.phase === 'waiting' ? link.value.linkId : null;
    linkRun?.abort();
    linkRun = null;
    link.value = { phase: 'idle' };
    if (waiting)
      void deviceKeysDependencies
        .linkApi()
        .remove(waiting)
        .catch(() => undefined);
  }

  /** Existing device: the link behind a code, to show which device asks before confirming. */
  function lookUpLink(code: string): Promise<DeviceLinkDto> {
    return deviceKeysDependencies.linkApi().get(parseDeviceLinkCode(code).linkId);
  }

  /**
   * Existing device: seals this account's identity to the new device of `code` (in the worker)
   * and completes the link. @returns the confirmation number the new device will show too
   */
  async function confirmLink(code: string): Promise<{ link: DeviceLinkDto; confirmation: string }> {
    if (state.value.phase !== 'ready') throw new Error('this device’s keys are not ready yet');
    const sealed = await engine().sealIdentityForLink(code);
    const done = await deviceKeysDependencies.linkApi().complete(sealed.linkId, sealed.body);
    return { link: done, confirmation: sealed.confirmation };
  }

  /** Stops the worker (sign-out that keeps the device); keys stay in IndexedDB. */
  function stop(): void {
    linkRun?.abort();
    linkRun = null;
    link.value = { phase: 'idle' };
    client?.terminate();
    client = null;
    keys = null;
    lastAccount = null;
    state.value = { phase: 'idle' };
  }

  return {
    state,
    phase,
    isReady,
    progress,
    protocolDeviceId,
    link,
    engine,
    ensure,
    retry,
    maintain,
    resetIdentity,
    startLink,
    cancelLink,
    lookUpLink,
    confirmLink,
    wipe,
    stop,
  };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDeviceKeysStore, import.meta.hot));
