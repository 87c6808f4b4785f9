/**
 * Small bounded caches of imported WebCrypto keys, so a key that recurs across operations (a
 * contact's identity key, a group sender's signing key, our own identity key) is imported once.
 * A cache is tied to the `crypto.subtle` it was filled from and empties itself if that changes.
 * @module
 */

/** A least-recently-used map of at most `capacity` entries; `onEvict` sees every dropped value. */
export class KeyCache<V> {
  private readonly entries = new Map<string, V>();
  private subtle: SubtleCrypto | undefined;

  /**
   * @param capacity - the most entries kept (each a key object, a few hundred bytes)
   * @param onEvict - called with every value dropped for capacity or a `crypto.subtle` change
   */
  constructor(
    private readonly capacity: number,
    private readonly onEvict: (value: V) => void = () => undefined,
  ) {}

  private checkSubtle(): void {
    const current = globalThis.crypto?.subtle;
    if (current === this.subtle) return;
    this.subtle = current;
    for (const v of this.entries.values()) this.onEvict(v);
    this.entries.clear();
  }

  /** The value for `id` (now the most recently used), or undefined. */
  get(id: string): V | undefined {
    this.checkSubtle();
    const v = this.entries.get(id);
    if (v !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, v);
    }
    return v;
  }

  /** Stores `value` for `id`, dropping the least recently used entry beyond capacity. */
  set(id: string, value: V): void {
    this.checkSubtle();
    const old = this.entries.get(id);
    this.entries.delete(id);
    if (old !== undefined && old !== value) this.onEvict(old);
    this.entries.set(id, value);
    while (this.entries.size > this.capacity) {
      const [oldestId, oldest] = this.entries.entries().next().value as [string, V];
      this.entries.delete(oldestId);
      this.onEvict(oldest);
    }
  }

  /** Removes `id` without calling `onEvict` (the caller takes the value). */
  delete(id: string): void {
    this.entries.delete(id);
  }
}
