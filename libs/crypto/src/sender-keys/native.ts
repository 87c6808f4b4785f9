/**
 * The native {@link GroupCipher}: a thin adapter over `@signalapp/libsignal-client` 0.103
 * (`SenderKeyDistributionMessage.create`, `processSenderKeyDistributionMessage`, `groupEncrypt`,
 * `groupDecrypt`). Our byte-oriented {@link SenderKeyStore} is wrapped into libsignal's abstract
 * store; records are libsignal's own `SenderKeyRecord` bytes, the format the TypeScript engine
 * reads and writes too. Errors become {@link ProtocolError}s. Node only.
 * @module
 */
import * as signal from '@signalapp/libsignal-client';
import type { ProtocolAddress } from '../address.js';
import { abytes } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { GroupCipher, SenderKeyStore } from './api.js';
import { normalizeDistributionId } from './messages.js';
import { fromNativeError, mapNativeErrors } from './native-errors.js';

/** libsignal-client wants `Uint8Array<ArrayBuffer>`; a copy always is one. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(bytes);
}

function toNativeAddress(address: ProtocolAddress): signal.ProtocolAddress {
  return signal.ProtocolAddress.new(address.name, address.deviceId);
}

/**
 * Presents our store to libsignal for one call. The address libsignal passes back is always the
 * one we gave it, so the adapter hands our original {@link ProtocolAddress} object to the store.
 *
 * libsignal turns an exception thrown in a store callback into its own generic error whose text
 * embeds the original; so the first such exception is kept here and rethrown by {@link run}
 * instead: the app's own store error unchanged, an unreadable record as `InvalidSenderKeySession`
 * (what the TypeScript engine throws).
 */
class NativeSenderKeyStore extends signal.SenderKeyStore {
  #failure: { error: unknown } | undefined;

  constructor(
    private readonly store: SenderKeyStore,
    private readonly address: ProtocolAddress,
  ) {
    super();
  }

  override async saveSenderKey(
    _sender: signal.ProtocolAddress,
    distributionId: signal.Uuid,
    record: signal.SenderKeyRecord,
  ): Promise<void> {
    try {
      await this.store.saveSenderKey(this.address, normalizeDistributionId(distributionId), record.serialize());
    } catch (e) {
      this.#failure ??= { error: e };
      throw e;
    }
  }

  override async getSenderKey(
    _sender: signal.ProtocolAddress,
    distributionId: signal.Uuid,
  ): Promise<signal.SenderKeyRecord | null> {
    let bytes: Uint8Array | null;
    try {
      bytes = await this.store.getSenderKey(this.address, normalizeDistributionId(distributionId));
    } catch (e) {
      this.#failure ??= { error: e };
      throw e;
    }
    if (bytes === null) return null;
    try {
      return signal.SenderKeyRecord.deserialize(own(bytes));
    } catch (e) {
      this.#failure ??= {
        error: new ProtocolError('InvalidSenderKeySession', 'stored sender key record is unreadable', { cause: e }),
      };
      throw e;
    }
  }

  /**
   * Runs one libsignal call against this store, mapping its errors.
   * @param f the call
   * @returns what `f` returns
   */
  async run<T>(f: (store: signal.SenderKeyStore) => Promise<T>): Promise<T> {
    try {
      return await f(this);
    } catch (e) {
      if (this.#failure) throw this.#failure.error;
      throw fromNativeError(e);
    }
  }
}

/** The libsignal-client {@link GroupCipher}; stateless (libsignal uses its own RNG). */
export class NativeGroupCipher implements GroupCipher {
  /** {@inheritDoc GroupCipher.createDistributionMessage} */
  async createDistributionMessage(
    sender: ProtocolAddress,
    distributionId: string,
    store: SenderKeyStore,
  ): Promise<Uint8Array> {
    const id = normalizeDistributionId(distributionId);
    const skdm = await new NativeSenderKeyStore(store, sender).run((s) =>
      signal.SenderKeyDistributionMessage.create(toNativeAddress(sender), id, s),
    );
    return skdm.serialize();
  }

  /** {@inheritDoc GroupCipher.processDistributionMessage} */
  async processDistributionMessage(sender: ProtocolAddress, message: Uint8Array, store: SenderKeyStore): Promise<void> {
    abytes('message', message);
    const skdm = await mapNativeErrors(() => signal.SenderKeyDistributionMessage.deserialize(own(message)));
    await new NativeSenderKeyStore(store, sender).run((s) =>
      signal.processSenderKeyDistributionMessage(toNativeAddress(sender), skdm, s),
    );
  }

  /** {@inheritDoc GroupCipher.encrypt} */
  async encrypt(
    sender: ProtocolAddress,
    distributionId: string,
    store: SenderKeyStore,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    abytes('plaintext', plaintext);
    const id = normalizeDistributionId(distributionId);
    const message = await new NativeSenderKeyStore(store, sender).run((s) =>
      signal.groupEncrypt(toNativeAddress(sender), id, s, own(plaintext)),
    );
    return message.serialize();
  }

  /** {@inheritDoc GroupCipher.decrypt} */
  async decrypt(sender: ProtocolAddress, store: SenderKeyStore, message: Uint8Array): Promise<Uint8Array> {
    abytes('message', message);
    return new NativeSenderKeyStore(store, sender).run((s) =>
      signal.groupDecrypt(toNativeAddress(sender), s, own(message)),
    );
  }
}

/** The shared instance the native engine exposes as `groups`. */
export const nativeGroupCipher: GroupCipher = new NativeGroupCipher();
