import { HANDLED_IDS_KEPT, type KeyValueStorage } from '@pairchat/messaging';
import type { Vault, VaultKey } from '@/crypto/vault.js';
import type { HistoryStore } from './history-store.js';

/** Handled envelope ids per stored page: one page is re-encrypted per envelope, not the whole list. */
export const HANDLED_PAGE_SIZE = 100;
/** Pages in the ring: enough for the SDK's window plus the page being filled. */
export const HANDLED_PAGES = Math.ceil(HANDLED_IDS_KEPT / HANDLED_PAGE_SIZE) + 1;

const SEP = '\u0001';
const HANDLED_SUFFIX = ':handled';
const pageKey = (key: string, slot: number) => `sdk-handled${SEP}${key}${SEP}${String(slot).padStart(3, '0')}`;

interface HandledPage {
  /** Sequence number of `ids[0]`; ids are numbered in the order they were handled. */
  first: number;
  ids: string[];
}

interface HandledRing {
  /** Sequence number of the next id. */
  next: number;
  /** The page being filled. */
  current: HandledPage;
  known: Set<string>;
  /** The list still sits in the old single JSON record; deleted with the first ring write. */
  legacy: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The realtime client's storage (outbox of ciphertexts, handled envelope ids) inside this device's
 * encrypted history database, so it is encrypted at rest and wiped with the device.
 *
 * The SDK writes its whole handled-id list (~2,000 ids, ~80 KB of JSON) after every envelope.
 * Stored as one record, that is 80 KB encrypted and written per message; here the list is a ring
 * of {@link HANDLED_PAGES} pages and a write touches only the page that gained the new id. The
 * write commits with strict durability before `setItem` resolves, since the SDK acks the envelope
 * to the server right after it.
 */
export function historyStorage(history: HistoryStore, vault: Vault): KeyValueStorage {
  const rings = new Map<string, HandledRing>();

  async function readRing(key: string): Promise<{ ring: HandledRing; ids: string[] }> {
    const slots = Array.from({ length: HANDLED_PAGES }, (_, slot) => pageKey(key, slot));
    const pages: HandledPage[] = [];
    for (const slot of slots) {
      const bytes = await vault.get('chat', slot);
      if (bytes) pages.push(JSON.parse(decoder.decode(bytes)) as HandledPage);
    }
    pages.sort((a, b) => a.first - b.first);
    let ids = pages.flatMap((p) => p.ids);
    const last = pages.at(-1);
    let legacy = false;
    if (!last) {
      const old = await history.getState<string>(`sdk:${key}`);
      const parsed: unknown = old ? JSON.parse(old) : [];
      ids = Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
      legacy = old !== null;
    }
    const next = last ? last.first + last.ids.length : 0;
    const current = last && last.ids.length < HANDLED_PAGE_SIZE ? last : { first: next, ids: [] };
    return { ring: { next, current, known: new Set(legacy ? [] : ids), legacy }, ids };
  }

  async function ring(key: string): Promise<HandledRing> {
    let found = rings.get(key);
    if (!found) {
      found = (await readRing(key)).ring;
      rings.set(key, found);
    }
    return found;
  }

  async function writeHandled(key: string, value: string): Promise<void> {
    const parsed: unknown = JSON.parse(value);
    const ids = Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
    const state = await ring(key);
    const touched = new Map<number, HandledPage>();
    for (const id of ids) {
      if (state.known.has(id)) continue;
      if (state.current.ids.length >= HANDLED_PAGE_SIZE) state.current = { first: state.next, ids: [] };
      state.current.ids.push(id);
      state.known.add(id);
      touched.set(Math.floor(state.current.first / HANDLED_PAGE_SIZE) % HANDLED_PAGES, state.current);
      state.next++;
    }
    // The SDK's list is the window that matters; forget what fell out of it.
    state.known = new Set(ids);
    if (touched.size === 0 && !state.legacy) return;
    const puts = [...touched].map(([slot, page]) => ({
      store: 'chat' as const,
      key: pageKey(key, slot) as VaultKey,
      plaintext: encoder.encode(JSON.stringify(page)),
    }));
    await vault.writeMany(puts, [], { durability: 'strict' });
    // After the ring holds every id (a crash in between leaves both; the ring is read first).
    if (state.legacy) await history.deleteState(`sdk:${key}`);
    state.legacy = false;
  }

  return {
    async getItem(key) {
      if (!key.endsWith(HANDLED_SUFFIX)) return history.getState<string>(`sdk:${key}`);
      const { ring: found, ids } = await readRing(key);
      rings.set(key, found);
      return ids.length > 0 || found.legacy ? JSON.stringify(ids) : null;
    },
    setItem: (key, value) =>
      key.endsWith(HANDLED_SUFFIX) ? writeHandled(key, value) : history.setState(`sdk:${key}`, value),
    async removeItem(key) {
      if (!key.endsWith(HANDLED_SUFFIX)) return history.deleteState(`sdk:${key}`);
      rings.delete(key);
      const pages = Array.from({ length: HANDLED_PAGES }, (_, slot) => ({
        store: 'chat' as const,
        key: pageKey(key, slot),
      }));
      await vault.writeMany([], pages);
      await history.deleteState(`sdk:${key}`);
    },
  };
}
