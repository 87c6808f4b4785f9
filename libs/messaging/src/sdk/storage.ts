/**
 * Where the SDK keeps what must survive a reload (the outbox, the ids of handled envelopes).
 * `window.localStorage` fits as is; so does any async store (IndexedDB wrapper, a file in Node).
 */
export interface KeyValueStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** A storage held in memory: for tests and for clients that accept losing the outbox on exit. */
export class MemoryStorage implements KeyValueStorage {
  private readonly items = new Map<string, string>();

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }
}
