/**
 * In-memory {@link SenderKeyStore} for tests (libsignal `storage/inmem.rs` style): keeps a copy of
 * each record keyed by `name.deviceId` + distribution id, and counts writes so tests can assert
 * that a rejected message left the store untouched.
 */
import type { ProtocolAddress } from '../../src/address.js';
import type { SenderKeyStore } from '../../src/sender-keys/api.js';

export class InMemorySenderKeyStore implements SenderKeyStore {
  private readonly records = new Map<string, Uint8Array>();
  /** Number of `saveSenderKey` calls so far. */
  writes = 0;

  private static key(sender: ProtocolAddress, distributionId: string): string {
    return `${sender.toString()}::${distributionId}`;
  }

  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: Uint8Array): Promise<void> {
    this.writes++;
    this.records.set(InMemorySenderKeyStore.key(sender, distributionId), Uint8Array.from(record));
  }

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<Uint8Array | null> {
    const record = this.records.get(InMemorySenderKeyStore.key(sender, distributionId));
    return record === undefined ? null : Uint8Array.from(record);
  }

  /** Removes a record (used to test unknown-distribution handling and key rotation). */
  delete(sender: ProtocolAddress, distributionId: string): void {
    this.records.delete(InMemorySenderKeyStore.key(sender, distributionId));
  }
}
