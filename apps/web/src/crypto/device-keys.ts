import type { KeysUploadRequest, PreKeyCountResponse } from '@pairchat/keys';
import type { DeviceLinkSealedDto } from '@pairchat/messaging';
import { isApiError } from '../api/errors.js';
import { formatDeviceLinkCode } from './device-link-code.js';
import type { DeviceLinkApi } from './device-link-api.js';
import { withTabLock } from '../utils/storage.js';
import type { EngineClient, ProgressListener } from './engine-client.js';
import type { EngineStatus } from './engine-protocol.js';
import { KEYS_ERROR, type KeyDirectory } from './key-directory.js';

/** Where this browser device stands with its keys. */
export type DeviceKeysState =
  | { phase: 'idle' }
  | { phase: 'checking' }
  /** Making keys in the worker: `done` of `total` (signed, last-resort and one-time prekeys). */
  | { phase: 'generating'; done: number; total: number }
  | { phase: 'uploading' }
  | { phase: 'ready'; protocolDeviceId: number; identityKey: string }
  /**
   * The account already has another identity key (made on another device). The app offers
   * "link this device" ({@link DeviceKeys.beginLink}) or "reset identity".
   */
  | { phase: 'identity-conflict' }
  | { phase: 'error'; error: unknown };

export type DeviceKeysPhase = DeviceKeysState['phase'];

/** The account and device the keys belong to (from the session). */
export interface DeviceKeysAccount {
  userId: string;
  /** The api's device id (UUID); one encrypted database per device. */
  deviceId: string;
}

/** The IndexedDB database of one device's keys. */
export const deviceDatabaseName = (deviceId: string) => `pairchat-device-${deviceId}`;

export interface DeviceKeysOptions {
  engine: EngineClient;
  directory: KeyDirectory;
  /** Told every state change (drives the progress indicator). */
  onState?: (state: DeviceKeysState) => void;
}

/**
 * This browser device's key lifecycle: on sign-in, create the identity and prekeys in the worker
 * if there are none, upload the public halves (`PUT /keys`), and afterwards replenish one-time
 * prekeys and rotate the signed and last-resort keys when the directory says so. Runs under a
 * cross-tab lock so two tabs never generate or upload at the same time.
 */
export class DeviceKeys {
  #state: DeviceKeysState = { phase: 'idle' };
  #account: DeviceKeysAccount | null = null;

  constructor(private readonly options: DeviceKeysOptions) {}

  get state(): DeviceKeysState {
    return this.#state;
  }

  /**
   * Makes sure this device has keys on the server. Never throws: failures end in the `error`
   * phase (retry by calling again), a foreign account identity in `identity-conflict`.
   */
  async ensure(account: DeviceKeysAccount): Promise<DeviceKeysState> {
    this.#account = account;
    return this.guarded(account, async () => {
      this.set({ phase: 'checking' });
      let status = await this.options.engine.open(deviceDatabaseName(account.deviceId), account.userId);
      if (!status.hasIdentity) status = await this.options.engine.createIdentity();
      if (status.protocolDeviceId === null)
        return this.firstUpload(status, (body) => this.options.directory.uploadKeys(body));
      return this.upkeep(status);
    });
  }

  /**
   * Key maintenance while signed in (the server's `keys:replenish` / `keys:rotate`): uploads
   * one-time prekeys and rotates what is due, as {@link ensure} does for a device with keys.
   * Quiet: the phase stays `ready` throughout, and a failure is thrown to the caller (the state
   * stays `ready`; the next notice or sign-in tries again). Does nothing unless `ready`.
   * @throws what the directory or the worker threw
   */
  async maintain(): Promise<DeviceKeysState> {
    const account = this.#account;
    if (!account || this.#state.phase !== 'ready') return this.#state;
    return withTabLock(lockName(account), async () => {
      const status = await this.options.engine.open(deviceDatabaseName(account.deviceId), account.userId);
      if (status.protocolDeviceId === null) return this.#state;
      return this.upkeep(status, true);
    });
  }

  /**
   * "Reset identity": replaces the account's identity key with a new one made here. Every contact
   * will see a safety-number change and the account's other devices must be linked again.
   */
  async resetIdentity(): Promise<DeviceKeysState> {
    const account = this.requireAccount();
    return this.guarded(account, async () => {
      this.set({ phase: 'checking' });
      const { engine } = this.options;
      await engine.open(deviceDatabaseName(account.deviceId), account.userId);
      await engine.wipe();
      await engine.open(deviceDatabaseName(account.deviceId), account.userId);
      const status = await engine.createIdentity();
      return this.firstUpload(status, (body) => this.options.directory.resetIdentityKey(body));
    });
  }

  /**
   * "Link this device", first step on the new device: makes the link key and code secret in the
   * worker (the private half never leaves it) and opens a link on the server. The public key and
   * the secret go only into the code, never to the server (see `device-link.ts`).
   * @returns the code to show (text and QR), the link id and when the code expires
   */
  async beginLink(api: DeviceLinkApi): Promise<{ linkId: string; code: string; expiresAt: string }> {
    const account = this.requireAccount();
    const { ephemeralPublicKey, codeSecret } = await withTabLock(lockName(account), async () => {
      await this.options.engine.open(deviceDatabaseName(account.deviceId), account.userId);
      return this.options.engine.createLinkKey();
    });
    const { linkId, linkToken, expiresAt } = await api.create();
    const code = formatDeviceLinkCode({ linkId, linkToken, ephemeralPublicKey, codeSecret });
    codeSecret.fill(0);
    return { linkId, expiresAt, code };
  }

  /**
   * Second step, once an existing device sent the sealed identity: import it in the worker (this
   * device's store is replaced), then make and publish this device's own prekeys, which the
   * directory accepts because the identity now is the account's.
   * @returns the new state (`ready` on success) and the confirmation number, shown as a second check
   */
  async completeLink(
    linkId: string,
    sealed: DeviceLinkSealedDto,
  ): Promise<{ state: DeviceKeysState; confirmation: string | null }> {
    const account = this.requireAccount();
    let confirmation: string | null = null;
    const state = await this.guarded(account, async () => {
      this.set({ phase: 'checking' });
      const imported = await this.options.engine.importLinkedIdentity({ linkId, sealed });
      confirmation = imported.confirmation;
      return this.firstUpload(imported.status, (body) => this.options.directory.uploadKeys(body));
    });
    return { state, confirmation };
  }

  /**
   * "Remove this device and wipe its keys": deletes the local database and its wrapping key.
   * @param account - defaults to the account of the last {@link ensure}
   */
  async wipe(account: DeviceKeysAccount | null = this.#account): Promise<void> {
    if (!account) throw new Error('no device to wipe: pass the account');
    await withTabLock(lockName(account), async () => {
      const { engine } = this.options;
      await engine.open(deviceDatabaseName(account.deviceId), account.userId);
      await engine.wipe();
    });
    this.#account = null;
    this.set({ phase: 'idle' });
  }

  private async firstUpload(
    status: EngineStatus,
    send: (body: KeysUploadRequest) => Promise<PreKeyCountResponse>,
  ): Promise<DeviceKeysState> {
    // If an earlier attempt stopped after generating (closed tab, network), the identity is kept
    // and fresh prekeys replace the unsent ones: the server may already hold this identity.
    const upload = await this.options.engine.initialUpload(this.progress());
    this.set({ phase: 'uploading' });
    let counts: PreKeyCountResponse;
    try {
      counts = await send(upload);
    } catch (error) {
      if (isApiError(error, KEYS_ERROR.identityKeyMismatch)) return this.set({ phase: 'identity-conflict' });
      throw error;
    }
    const ready = await this.options.engine.setProtocolDeviceId(counts.protocolDeviceId);
    return this.set({
      phase: 'ready',
      protocolDeviceId: counts.protocolDeviceId,
      identityKey: ready.identityKey ?? status.identityKey!,
    });
  }

  /** Replenishes and rotates; `quiet` keeps the phase (no progress, no `uploading`). */
  private async upkeep(status: EngineStatus, quiet = false): Promise<DeviceKeysState> {
    const { engine, directory } = this.options;
    const phase = (next: DeviceKeysState) => (quiet ? next : this.set(next));
    let counts: PreKeyCountResponse;
    try {
      counts = await directory.getPreKeyCount();
    } catch (error) {
      // The directory forgot this device's keys (identity reset elsewhere, device re-created):
      // upload again; a different account identity then shows up as a conflict.
      if (isApiError(error, KEYS_ERROR.keysNotFound) && !quiet)
        return this.firstUpload(status, (body) => directory.uploadKeys(body));
      throw error;
    }
    if (counts.replenish) {
      const upload = await engine.replenishUpload(counts, quiet ? () => undefined : this.progress());
      if (upload) {
        phase({ phase: 'uploading' });
        counts = await directory.uploadKeys(upload);
      }
    }
    const rotation = await engine.rotationUpload(counts.rotationDue);
    if (rotation) {
      phase({ phase: 'uploading' });
      counts = await directory.uploadKeys(rotation);
    }
    await engine.purgeReplaced();
    if (counts.protocolDeviceId !== status.protocolDeviceId) await engine.setProtocolDeviceId(counts.protocolDeviceId);
    return this.set({ phase: 'ready', protocolDeviceId: counts.protocolDeviceId, identityKey: status.identityKey! });
  }

  private async guarded(account: DeviceKeysAccount, task: () => Promise<DeviceKeysState>): Promise<DeviceKeysState> {
    try {
      return await withTabLock(lockName(account), task);
    } catch (error) {
      return this.set({ phase: 'error', error });
    }
  }

  private progress(): ProgressListener {
    return (done, total) => this.set({ phase: 'generating', done, total });
  }

  private requireAccount(): DeviceKeysAccount {
    if (!this.#account) throw new Error('no device yet: call ensure() after sign-in');
    return this.#account;
  }

  private set(state: DeviceKeysState): DeviceKeysState {
    this.#state = state;
    this.options.onState?.(state);
    return state;
  }
}

const lockName = (account: DeviceKeysAccount) => `pairchat.device-keys.${account.deviceId}`;
