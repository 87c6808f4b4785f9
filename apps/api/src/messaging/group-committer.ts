/**
 * Group commit: items submitted within a few milliseconds are written together, one transaction
 * per batch, and each submitter is answered only once its batch committed. At most `concurrency`
 * batches are written at a time; items arriving meanwhile form the next batch, so batches grow with
 * load by themselves.
 */
export interface GroupCommitOptions {
  /** Longest an item waits for others before its batch is written, ms (0: next tick). */
  intervalMs: number;
  /** A batch is written at once when it reaches this many rows. */
  maxRows: number;
  /**
   * A batch never carries more than this many bytes (a single larger item goes alone), so one
   * multi-row statement stays under the database's packet limit. Default: no byte cap.
   */
  maxBytes?: number;
  /**
   * Batches written at once (default 1). More than one lets a database with a connection pool
   * overlap one batch's commit (fsync) with the next batch's statements.
   */
  concurrency?: number;
}

/** Writes a batch; answers one result or Error per item, in order. Throwing fails the whole batch. */
export type BatchWriter<T, R> = (items: T[]) => Promise<(R | Error)[]>;

interface Pending<T, R> {
  item: T;
  rows: number;
  bytes: number;
  key: string | undefined;
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

export class GroupCommitter<T, R> {
  /** Pending items from `head` on; taken by index, since `shift()` is O(n) on a long queue. */
  private queue: Pending<T, R>[] = [];
  private head = 0;
  private queuedRows = 0;
  private queuedBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly writing = new Set<Promise<void>>();
  /** Keys of the items in batches being written: a later item of one of them waits for the next batch. */
  private readonly writingKeys = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly write: BatchWriter<T, R>,
    private readonly options: GroupCommitOptions,
  ) {}

  /**
   * Queues an item; resolves with its result after its batch committed.
   * @param rows - how many rows the item writes (counts towards maxRows)
   * @param bytes - how many bytes the item writes (counts towards maxBytes)
   * @param key - items of one key are written in submission order, never in two batches at once
   *   (one device's sends: concurrent batches would commit, and number their rows, in any order)
   */
  submit(item: T, rows = 1, bytes = 0, key?: string): Promise<R> {
    if (this.closed) return Promise.reject(new Error('group committer is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, rows, bytes, key, resolve, reject });
      this.queuedRows += rows;
      this.queuedBytes += bytes;
      if (this.writing.size >= this.concurrency) return; // a running write picks this batch up when it ends
      if (this.full()) this.flushSoon(0);
      else this.flushSoon(this.options.intervalMs);
    });
  }

  /** Writes what is queued and stops accepting items. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    while (this.writing.size > 0 || this.pending > 0) {
      if (this.writing.size > 0) await Promise.all(this.writing);
      else this.startWrite();
    }
  }

  private flushSoon(delayMs: number): void {
    if (this.timer !== undefined && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startWrite();
    }, delayMs);
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 1;
  }

  private get pending(): number {
    return this.queue.length - this.head;
  }

  /** Enough is queued for a full batch. */
  private full(): boolean {
    return this.queuedRows >= this.options.maxRows || this.queuedBytes >= (this.options.maxBytes ?? Infinity);
  }

  private startWrite(): void {
    if (this.writing.size >= this.concurrency || this.pending === 0) return;
    const maxBytes = this.options.maxBytes ?? Infinity;
    const batch: Pending<T, R>[] = [];
    // Items whose key is being written stay queued, in order, with every later item of their key.
    const deferred: Pending<T, R>[] = [];
    const blocked = new Set<string>();
    let rows = 0;
    let bytes = 0;
    while (this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      if (next.key !== undefined && (this.writingKeys.has(next.key) || blocked.has(next.key))) {
        blocked.add(next.key);
        deferred.push(next);
        this.head++;
        continue;
      }
      if (batch.length > 0 && (rows + next.rows > this.options.maxRows || bytes + next.bytes > maxBytes)) break;
      this.head++;
      rows += next.rows;
      bytes += next.bytes;
      batch.push(next);
    }
    if (deferred.length > 0) {
      this.queue = [...deferred, ...this.queue.slice(this.head)];
      this.head = 0;
    } else if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    // Everything queued waits for a batch being written; its end starts the next one.
    if (batch.length === 0) return;
    this.queuedRows -= rows;
    this.queuedBytes -= bytes;
    const keys = batch.flatMap((p) => (p.key === undefined ? [] : [p.key]));
    for (const key of keys) this.writingKeys.set(key, (this.writingKeys.get(key) ?? 0) + 1);
    const writing: Promise<void> = this.writeBatch(batch).finally(() => {
      for (const key of keys) {
        const left = this.writingKeys.get(key)! - 1;
        if (left === 0) this.writingKeys.delete(key);
        else this.writingKeys.set(key, left);
      }
      this.writing.delete(writing);
      if (this.pending > 0) {
        // Under load the next batch is already waiting: write it now rather than after the interval.
        clearTimeout(this.timer);
        this.timer = undefined;
        this.startWrite();
      }
    });
    this.writing.add(writing);
    // Under load, start the next batch beside this one when a write slot is free.
    if (this.pending > 0 && this.full()) this.startWrite();
  }

  private async writeBatch(batch: Pending<T, R>[]): Promise<void> {
    let results: (R | Error)[];
    try {
      results = await this.write(batch.map((p) => p.item));
      if (results.length !== batch.length)
        throw new Error(`batch writer answered ${results.length} of ${batch.length} items`);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const pending of batch) pending.reject(failure);
      return;
    }
    batch.forEach((pending, i) => {
      const result = results[i]!;
      if (result instanceof Error) pending.reject(result);
      else pending.resolve(result);
    });
  }
}
