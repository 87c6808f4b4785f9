import { messageSendInboundSchema, type MessageSendPayload } from '../realtime/events.js';
import type { KeyValueStorage } from './storage.js';

/** A send waiting for the server's ack. */
export interface OutboxEntry {
  payload: MessageSendPayload;
  /** ms since the epoch, when it was queued. */
  queuedAt: number;
  /** Sends tried so far. */
  attempts: number;
}

/**
 * Sends not yet acked by the server, in the order they were queued, persisted in the injected
 * storage after every change so they survive a reload. Keyed by client message id: queuing the same
 * id twice keeps the first entry (the idempotency key is what makes retries safe).
 */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private loaded = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key: string,
  ) {}

  /** Reads what a previous run left. Entries that no longer parse are dropped. */
  async load(): Promise<void> {
    if (this.loaded) return;
    const raw = await this.storage.getItem(this.key);
    this.loaded = true;
    if (!raw) return;
    let stored: unknown;
    try {
      stored = JSON.parse(raw);
    } catch {
      return;
    }
    if (!Array.isArray(stored)) return;
    for (const item of stored as Partial<OutboxEntry>[]) {
      // Entries queued before registrationId was required are kept: the server answers them with
      // DEVICES_MISMATCH (stale), so they are re-encrypted rather than lost.
      const parsed = messageSendInboundSchema.safeParse(item?.payload);
      if (!parsed.success || typeof item.queuedAt !== 'number') continue;
      if (this.has(parsed.data.clientMessageId)) continue;
      this.entries.push({ payload: item.payload!, queuedAt: item.queuedAt, attempts: Number(item.attempts) || 0 });
    }
  }

  /** Queues a send. Returns false (and changes nothing) when the client message id is already queued. */
  async add(payload: MessageSendPayload, now: number): Promise<boolean> {
    await this.load();
    if (this.has(payload.clientMessageId)) return false;
    this.entries.push({ payload, queuedAt: now, attempts: 0 });
    await this.persist();
    return true;
  }

  async remove(clientMessageId: string): Promise<void> {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.payload.clientMessageId !== clientMessageId);
    if (this.entries.length !== before) await this.persist();
  }

  /** Counts one more attempt (persisted, so a reload does not reset the count). */
  async attempted(clientMessageId: string): Promise<void> {
    const entry = this.get(clientMessageId);
    if (!entry) return;
    entry.attempts++;
    await this.persist();
  }

  has(clientMessageId: string): boolean {
    return this.get(clientMessageId) !== undefined;
  }

  get(clientMessageId: string): OutboxEntry | undefined {
    return this.entries.find((e) => e.payload.clientMessageId === clientMessageId);
  }

  /** Entries in queue order (a copy). */
  list(): OutboxEntry[] {
    return [...this.entries];
  }

  get size(): number {
    return this.entries.length;
  }

  private persist(): Promise<void> {
    const snapshot = JSON.stringify(this.entries);
    // Writes are chained so an older snapshot can never land after a newer one.
    this.writing = this.writing.then(() => this.storage.setItem(this.key, snapshot));
    return this.writing;
  }
}
