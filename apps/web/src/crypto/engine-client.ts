/**
 * The page side of the crypto RPC: typed calls into the crypto worker, with progress callbacks.
 * @module
 */
import { type CiphertextMessage, type PreKeyBundle, ProtocolError, type ProtocolErrorCode } from '@pairchat/crypto';
import type { KeysUploadRequest, PreKeyCounts } from '@pairchat/keys';
import {
  type AddressDto,
  type DecryptedMessage,
  type EngineArgs,
  type EngineOperation,
  type EngineRequest,
  type EngineResult,
  type EngineStatus,
  type IdentityChangeDto,
  isEngineResponse,
  type LinkedIdentityDto,
  type LinkKeyDto,
  type LinkSealDto,
  type SafetyNumberView,
  type SerializedError,
} from './engine-protocol.js';

/** What the client needs of a `Worker` (a fake in tests). */
export interface WorkerLike {
  postMessage(message: EngineRequest): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate(): void;
}

/** Progress of a long operation: `done` of `total` keys. */
export type ProgressListener = (done: number, total: number) => void;

/** A failure inside the worker that is not a protocol outcome; `name` is the original error's. */
export class EngineError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** The worker stopped (terminated, failed to load, or crashed) before answering. */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: ProgressListener;
}

function revive(error: SerializedError): Error {
  if (error.name === 'ProtocolError' && error.code)
    return new ProtocolError(error.code as ProtocolErrorCode, error.message);
  return new EngineError(error.name, error.message);
}

/** Starts the crypto worker (bundled by Vite as a module worker). */
export function createEngineWorker(): WorkerLike {
  return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'pairchat-crypto' });
}

/** Typed calls into the crypto worker. One client per worker. */
export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed: Error | null = null;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (event) => this.receive(event.data));
    worker.addEventListener('error', () => this.fail(new EngineUnavailableError('the crypto worker failed')));
    worker.addEventListener('messageerror', () =>
      this.fail(new EngineUnavailableError('the crypto worker sent an unreadable message')),
    );
  }

  /**
   * Runs one operation in the worker.
   * @throws ProtocolError for protocol outcomes (same codes as the engine), EngineError for other
   *   failures in the worker, EngineUnavailableError if the worker is gone
   */
  call<K extends EngineOperation>(op: K, args: EngineArgs<K>, onProgress?: ProgressListener): Promise<EngineResult<K>> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<EngineResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress });
      try {
        this.worker.postMessage({ id, op, args } as EngineRequest);
      } catch (error) {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new EngineError('DataCloneError', 'cannot send to the crypto worker'));
      }
    });
  }

  open(database: string, userId: string): Promise<EngineStatus> {
    return this.call('open', [{ database, userId }]);
  }
  status(): Promise<EngineStatus> {
    return this.call('status', []);
  }
  createIdentity(): Promise<EngineStatus> {
    return this.call('createIdentity', []);
  }
  initialUpload(onProgress?: ProgressListener): Promise<KeysUploadRequest> {
    return this.call('initialUpload', [], onProgress);
  }
  replenishUpload(counts: PreKeyCounts, onProgress?: ProgressListener): Promise<KeysUploadRequest | null> {
    return this.call('replenishUpload', [counts], onProgress);
  }
  rotationUpload(force = false): Promise<KeysUploadRequest | null> {
    return this.call('rotationUpload', [force]);
  }
  purgeReplaced(): Promise<number> {
    return this.call('purgeReplaced', []);
  }
  setProtocolDeviceId(protocolDeviceId: number): Promise<EngineStatus> {
    return this.call('setProtocolDeviceId', [protocolDeviceId]);
  }
  processPreKeyBundle(bundle: PreKeyBundle, address: AddressDto): Promise<void> {
    return this.call('processPreKeyBundle', [bundle, address]);
  }
  hasSession(address: AddressDto): Promise<boolean> {
    return this.call('hasSession', [address]);
  }
  encrypt(plaintext: Uint8Array, address: AddressDto): Promise<CiphertextMessage> {
    return this.call('encrypt', [plaintext, address]);
  }
  decrypt(message: CiphertextMessage, address: AddressDto): Promise<Uint8Array> {
    return this.call('decrypt', [message, address]);
  }
  decryptMessage(message: CiphertextMessage, address: AddressDto): Promise<DecryptedMessage> {
    return this.call('decryptMessage', [message, address]);
  }
  deleteSession(address: AddressDto): Promise<void> {
    return this.call('deleteSession', [address]);
  }
  trustsIdentity(address: AddressDto, identityKey: Uint8Array): Promise<boolean> {
    return this.call('trustsIdentity', [address, identityKey]);
  }
  safetyNumber(userId: string): Promise<SafetyNumberView> {
    return this.call('safetyNumber', [userId]);
  }
  compareScanned(userId: string, scanned: Uint8Array): Promise<boolean> {
    return this.call('compareScanned', [userId, scanned]);
  }
  setVerified(userId: string, verified: boolean): Promise<SafetyNumberView> {
    return this.call('setVerified', [userId, verified]);
  }
  identityChanges(): Promise<IdentityChangeDto[]> {
    return this.call('identityChanges', []);
  }
  acceptIdentityChanges(userId: string): Promise<number> {
    return this.call('acceptIdentityChanges', [userId]);
  }
  dismissIdentityChange(address: string): Promise<void> {
    return this.call('dismissIdentityChange', [address]);
  }
  createLinkKey(): Promise<LinkKeyDto> {
    return this.call('createLinkKey', []);
  }
  importLinkedIdentity(link: LinkedIdentityDto): Promise<{ status: EngineStatus; confirmation: string }> {
    return this.call('importLinkedIdentity', [link]);
  }
  sealIdentityForLink(code: string): Promise<LinkSealDto> {
    return this.call('sealIdentityForLink', [code]);
  }
  wipe(): Promise<void> {
    return this.call('wipe', []);
  }

  /** Stops the worker; pending calls reject with {@link EngineUnavailableError}. */
  terminate(): void {
    this.worker.terminate();
    this.fail(new EngineUnavailableError('the crypto worker was stopped'));
  }

  private receive(data: unknown): void {
    if (!isEngineResponse(data)) return;
    const pending = this.pending.get(data.id);
    if (!pending) return;
    if (data.type === 'progress') {
      pending.onProgress?.(data.done, data.total);
      return;
    }
    this.pending.delete(data.id);
    if (data.type === 'result') pending.resolve(data.value);
    else pending.reject(revive(data.error));
  }

  private fail(error: Error): void {
    this.closed ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
