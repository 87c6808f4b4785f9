/**
 * This device's chat history: every timeline row (plaintext included) in the device's vault
 * database, encrypted at rest like the protocol stores (crypto/vault.ts), so wiping the device
 * wipes the history with its key.
 *
 * Layout (record keys are ids, never text):
 * - `history`: `<conversation>\u0001<sortKey>` -> row. `sortKey` is this device's clock when the
 *   row was first stored, then its id, so keys sort in arrival order and pages are key ranges.
 * - `historyIndex`: `i\u0001<conversation>\u0001<id>` -> sortKey (dedupe, lookups by id),
 *   `m\u0001<server message id>` -> `<conversation>\u0001<id>` (receipts name server ids),
 *   `c\u0001<client message id>` -> conversation (server status events name client ids).
 * - `chat`: per-conversation meta (unread count, last row) and small JSON state of the chat service.
 * @module
 */
import type { MessageStatus } from '@pairchat/messaging';
import type { Vault, VaultKey } from '../crypto/vault.js';
import type { ChatItem, ConversationId } from './types.js';

const SEP = '\u0001';
/** Upper bound for key ranges over one prefix. */
const END = '\uffff';
/** Rows read per step when looking for unread rows. */
const UNREAD_SCAN_PAGE = 100;
/** Sort keys pad the clock to this many digits so they compare as strings. */
const CLOCK_DIGITS = 15;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
const parse = <T>(bytes: Uint8Array | null): T | null => (bytes ? (JSON.parse(decoder.decode(bytes)) as T) : null);

/** A state entry written in the same transaction as a row (the send that carries it). */
export interface StateWrite {
  key: string;
  value: unknown;
}

/** A stored row and what only this device needs to know about it. */
export interface HistoryRecord {
  item: ChatItem;
  /** Position in this device's arrival order (see the module comment). */
  sortKey: string;
  /** True for outgoing rows this device sent (and so can re-encrypt on a resend request). */
  local?: boolean;
}

/** Per-conversation state kept beside the rows. */
export interface ConversationMeta {
  conversationId: ConversationId;
  unread: number;
  lastItem: ChatItem | null;
  lastSortKey: string;
}

/** One page of rows, oldest first. `cursor` is passed back to read the page before it. */
export interface HistoryRecordPage {
  records: HistoryRecord[];
  hasMore: boolean;
  cursor: string | null;
}

const RANK: Record<MessageStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 1 };

/**
 * The forward-only status rule of the chat, as the SDK's `advanceStatus`, plus one exception: a
 * message the server reports expired undelivered (`queue:notice` expired) becomes `failed` from
 * `sent` too, because no recipient device will ever get it.
 */
export function nextStatus(current: MessageStatus | null, next: MessageStatus, expired = false): MessageStatus {
  if (current === null) return next;
  if (current === 'failed') return current;
  if (next === 'failed') return current === 'pending' || (expired && current === 'sent') ? 'failed' : current;
  return RANK[next] > RANK[current] ? next : current;
}

/** Orders rows for display: server time when known, else the sender's clock, then id. */
export function compareItems(a: ChatItem, b: ChatItem): number {
  return (a.serverAt ?? a.sentAt) - (b.serverAt ?? b.sentAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class HistoryStore {
  private writing: Promise<unknown> = Promise.resolve();
  private lastClock = 0;

  constructor(
    private readonly vault: Vault,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs writes one at a time, so read-modify-write steps never interleave. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writing.then(task, task);
    this.writing = run.catch(() => undefined);
    return run;
  }

  private rowKey(conversationId: string, sortKey: string): string {
    return `${conversationId}${SEP}${sortKey}`;
  }

  private sortKeyOf(conversationId: string, id: string): Promise<string | null> {
    return this.vault.get('historyIndex', `i${SEP}${conversationId}${SEP}${id}`).then((b) => parse<string>(b));
  }

  /** The row `id` of a conversation, or null. */
  async get(conversationId: ConversationId, id: string): Promise<HistoryRecord | null> {
    const sortKey = await this.sortKeyOf(conversationId, id);
    if (sortKey === null) return null;
    return parse<HistoryRecord>(await this.vault.get('history', this.rowKey(conversationId, sortKey)));
  }

  /** The row that carries server message id `messageId`, in any conversation. */
  async byMessageId(messageId: string): Promise<HistoryRecord | null> {
    const ref = parse<string>(await this.vault.get('historyIndex', `m${SEP}${messageId}`));
    if (ref === null) return null;
    const at = ref.indexOf(SEP);
    return this.get(ref.slice(0, at), ref.slice(at + 1));
  }

  /** The outgoing row sent under client message id `clientMessageId` (its own, a retry's or a resend's). */
  async byClientId(clientMessageId: string): Promise<HistoryRecord | null> {
    const ref = parse<string>(await this.vault.get('historyIndex', `c${SEP}${clientMessageId}`));
    if (ref === null) return null;
    // Older entries hold only the conversation: the row id was the client message id.
    const at = ref.indexOf(SEP);
    return at < 0 ? this.get(ref, clientMessageId) : this.get(ref.slice(0, at), ref.slice(at + 1));
  }

  /**
   * Indexes row `id` under more ids it was sent under (a retry's or resend's client message id, the
   * server id a resend was stored under), with `state` in the same transaction, so statuses and
   * resend requests naming any of them find the row.
   */
  link(
    conversationId: ConversationId,
    id: string,
    ids: { clientMessageId?: string; messageId?: string },
    state?: StateWrite,
  ): Promise<void> {
    const ref = json(`${conversationId}${SEP}${id}`);
    const puts: Parameters<Vault['writeMany']>[0] = [];
    if (ids.clientMessageId) puts.push({ store: 'historyIndex', key: `c${SEP}${ids.clientMessageId}`, plaintext: ref });
    if (ids.messageId) puts.push({ store: 'historyIndex', key: `m${SEP}${ids.messageId}`, plaintext: ref });
    if (state) puts.push({ store: 'chat', key: `state${SEP}${state.key}`, plaintext: json(state.value) });
    return this.exclusive(() => this.vault.writeMany(puts));
  }

  /**
   * Stores a new row. Rows are unique per (conversation, id): a second insert changes nothing.
   * @returns the stored record, or null when the row already existed
   */
  insert(item: ChatItem, options: { local?: boolean; state?: StateWrite } = {}): Promise<HistoryRecord | null> {
    return this.exclusive(async () => {
      if ((await this.sortKeyOf(item.conversationId, item.id)) !== null) return null;
      // Strictly increasing within a run, so rows stored in the same millisecond keep their order.
      this.lastClock = Math.max(this.now(), this.lastClock + 1);
      const sortKey = `${String(this.lastClock).padStart(CLOCK_DIGITS, '0')}${SEP}${item.id}`;
      const record: HistoryRecord = { item, sortKey, ...(options.local ? { local: true } : {}) };
      const meta = await this.meta(item.conversationId);
      if (item.direction === 'in' && item.kind === 'text' && !item.read) meta.unread++;
      if (sortKey >= meta.lastSortKey) {
        meta.lastItem = item;
        meta.lastSortKey = sortKey;
      }
      await this.commit(record, meta, options.state);
      return record;
    });
  }

  /**
   * Changes one row. `mutate` returns the new item, or null to leave it as is.
   * @returns the new item when something changed
   */
  update(
    conversationId: ConversationId,
    id: string,
    mutate: (item: ChatItem) => ChatItem | null,
    state?: StateWrite,
  ): Promise<ChatItem | null> {
    return this.exclusive(async () => {
      const record = await this.get(conversationId, id);
      if (!record) return null;
      const next = mutate(record.item);
      if (!next) return null;
      const wasUnread = record.item.direction === 'in' && record.item.kind === 'text' && !record.item.read;
      const isUnread = next.direction === 'in' && next.kind === 'text' && !next.read;
      const meta = await this.meta(conversationId);
      if (wasUnread && !isUnread) meta.unread = Math.max(0, meta.unread - 1);
      if (meta.lastItem?.id === id) meta.lastItem = next;
      await this.commit({ ...record, item: next }, meta, state);
      return next;
    });
  }

  /**
   * Replaces row `oldId` by `item` (a new id) at the same position: an undecryptable placeholder
   * becomes the message once it is resent. Does nothing if `item`'s id is already stored.
   * @returns the stored record, or null when nothing changed
   */
  replace(conversationId: ConversationId, oldId: string, item: ChatItem): Promise<HistoryRecord | null> {
    return this.exclusive(async () => {
      const old = await this.get(conversationId, oldId);
      if (!old || (await this.sortKeyOf(conversationId, item.id)) !== null) return null;
      const record: HistoryRecord = { item, sortKey: old.sortKey };
      const meta = await this.meta(conversationId);
      if (item.direction === 'in' && item.kind === 'text' && !item.read) meta.unread++;
      if (meta.lastItem?.id === oldId) meta.lastItem = item;
      await this.commit(record, meta, undefined, [`i${SEP}${conversationId}${SEP}${oldId}`]);
      return record;
    });
  }

  /**
   * Up to `limit` rows of a conversation before `cursor` (newest page first), oldest first.
   * @param cursor - the `cursor` of the previous page; omit for the newest rows
   */
  async page(conversationId: ConversationId, limit: number, cursor?: string | null): Promise<HistoryRecordPage> {
    const lower = `${conversationId}${SEP}`;
    const range = cursor
      ? IDBKeyRange.bound(lower, this.rowKey(conversationId, cursor), false, true)
      : IDBKeyRange.bound(lower, `${lower}${END}`);
    const keys = await this.vault.lastKeys('history', range, limit + 1);
    const hasMore = keys.length > limit;
    const records: HistoryRecord[] = [];
    for (const key of keys.slice(0, limit).reverse()) {
      const record = parse<HistoryRecord>(await this.vault.get('history', key));
      if (record) records.push(record);
    }
    return { records, hasMore, cursor: records[0]?.sortKey ?? cursor ?? null };
  }

  /** Every conversation with stored rows. */
  async conversations(): Promise<ConversationMeta[]> {
    const keys = await this.vault.keys('chat', IDBKeyRange.bound(`meta${SEP}`, `meta${SEP}${END}`));
    const metas: ConversationMeta[] = [];
    for (const key of keys) {
      const meta = parse<ConversationMeta>(await this.vault.get('chat', key));
      if (meta) metas.push(meta);
    }
    return metas;
  }

  async meta(conversationId: ConversationId): Promise<ConversationMeta> {
    return (
      parse<ConversationMeta>(await this.vault.get('chat', `meta${SEP}${conversationId}`)) ?? {
        conversationId,
        unread: 0,
        lastItem: null,
        lastSortKey: '',
      }
    );
  }

  /**
   * Incoming text rows not marked read, oldest first: reads back page by page from the newest row
   * until `count` of them are found (the meta's unread count), so a long history is not decrypted.
   */
  async unreadRows(conversationId: ConversationId, count: number): Promise<ChatItem[]> {
    const found: ChatItem[] = [];
    let cursor: string | null | undefined;
    for (;;) {
      const page = await this.page(conversationId, UNREAD_SCAN_PAGE, cursor);
      const unread = page.records
        .map((r) => r.item)
        .filter((i) => i.direction === 'in' && i.kind === 'text' && !i.read);
      found.unshift(...unread);
      if (found.length >= count || !page.hasMore) return found;
      cursor = page.cursor;
    }
  }

  /** Small JSON state of the chat service under `key` (device cache, pending sends...). */
  async getState<T>(key: string): Promise<T | null> {
    return parse<T>(await this.vault.get('chat', `state${SEP}${key}`));
  }

  async setState(key: string, value: unknown): Promise<void> {
    await this.vault.put('chat', `state${SEP}${key}`, json(value));
  }

  async deleteState(key: string): Promise<void> {
    await this.vault.delete('chat', `state${SEP}${key}`);
  }

  /** Keys of state entries that start with `prefix` (without the prefix). */
  async stateKeys(prefix: string): Promise<string[]> {
    const start = `state${SEP}${prefix}`;
    const keys: VaultKey[] = await this.vault.keys('chat', IDBKeyRange.bound(start, `${start}${END}`));
    return keys.map((k) => String(k).slice(start.length));
  }

  /** Writes a row with its index entries, its conversation's meta and `state`, atomically. */
  private commit(record: HistoryRecord, meta: ConversationMeta, state?: StateWrite, dropIndex: string[] = []) {
    const { item, sortKey } = record;
    const puts: Parameters<Vault['writeMany']>[0] = [
      { store: 'history', key: this.rowKey(item.conversationId, sortKey), plaintext: json(record) },
      { store: 'historyIndex', key: `i${SEP}${item.conversationId}${SEP}${item.id}`, plaintext: json(sortKey) },
      { store: 'chat', key: `meta${SEP}${item.conversationId}`, plaintext: json(meta) },
    ];
    if (item.messageId) {
      puts.push({
        store: 'historyIndex',
        key: `m${SEP}${item.messageId}`,
        plaintext: json(`${item.conversationId}${SEP}${item.id}`),
      });
    }
    if (item.direction === 'out' && item.kind === 'text') {
      puts.push({
        store: 'historyIndex',
        key: `c${SEP}${item.id}`,
        plaintext: json(`${item.conversationId}${SEP}${item.id}`),
      });
    }
    if (state) puts.push({ store: 'chat', key: `state${SEP}${state.key}`, plaintext: json(state.value) });
    return this.vault.writeMany(
      puts,
      dropIndex.map((key) => ({ store: 'historyIndex' as const, key })),
    );
  }
}
