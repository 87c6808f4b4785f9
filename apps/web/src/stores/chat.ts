import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowReactive, watch } from 'vue';
import { PairchatClient, type Presence } from '@pairchat/messaging';
import { api } from '@/api/index.js';
import {
  ChatService,
  type ChatCrypto,
  type ChatDirectory,
  type ChatSelf,
  type ChatTransport,
} from '@/chat/chat-service.js';
import { chatDirectory } from '@/chat/directory.js';
import { compareItems, type ConversationMeta, HistoryStore } from '@/chat/history-store.js';
import { historyStorage } from '@/chat/sdk-storage.js';
import { type ChannelLike, type LockManagerLike, TabLeader } from '@/chat/tab-leader.js';
import type { ChatItem, ConnectionState, ConversationId, ConversationSummary, HistoryPage } from '@/chat/types.js';
import { deviceDatabaseName } from '@/crypto/device-keys.js';
import { Vault } from '@/crypto/vault.js';
import { useDeviceKeysStore } from './keys.js';
import { usePairsStore } from './pairs.js';
import { useSessionStore } from './session.js';

/** Rows read per {@link useChatStore} `loadOlder` page. */
export const HISTORY_PAGE_SIZE = 50;

/** A realtime client the store can start and stop (`PairchatClient` fits). */
export type ChatConnection = ChatTransport & { connect(): Promise<void>; close(): void };

/** What the store builds its parts from; tests replace them. */
export const chatDependencies: {
  openVault: (database: string) => Promise<Vault>;
  crypto: () => ChatCrypto;
  directory: () => ChatDirectory;
  connection: (options: ConstructorParameters<typeof PairchatClient>[0]) => ChatConnection;
  locks: () => LockManagerLike | null;
  channel: (name: string) => ChannelLike | null;
} = {
  openVault: (name) => Vault.open({ name }),
  crypto: () => useDeviceKeysStore().engine(),
  directory: () => chatDirectory(api),
  connection: (options) => new PairchatClient(options),
  locks: () => (globalThis.navigator?.locks as LockManagerLike | undefined) ?? null,
  channel: (name) =>
    typeof BroadcastChannel === 'undefined' ? null : (new BroadcastChannel(`pairchat.chat.${name}`) as ChannelLike),
};

/** What the leader tab tells the others; applied the same way in the leader itself. */
type ChatEvent =
  | { t: 'items'; conversationId: string; items: ChatItem[]; removed: string[] }
  | { t: 'meta'; meta: ConversationMeta }
  | { t: 'typing'; conversationId: string; typing: boolean }
  | { t: 'presence'; presence: Presence }
  | { t: 'identity'; conversationId: string; changed: boolean }
  | { t: 'connection'; state: ConnectionState };

/** What a follower tab asks the leader to do. */
type ChatCall =
  | { t: 'call'; op: 'send'; args: [string, string] }
  | { t: 'call'; op: 'markRead'; args: [string] }
  | { t: 'call'; op: 'setTyping'; args: [string, boolean] }
  | { t: 'call'; op: 'retry'; args: [string, string] }
  | { t: 'call'; op: 'acceptIdentity'; args: [string] }
  | { t: 'hello' };

const EMPTY: readonly ChatItem[] = Object.freeze([]);

/**
 * The chat of the signed-in device: conversations (one per pair), their timelines, sending and
 * receiving end-to-end encrypted messages, receipts, typing, presence and the connection banner.
 *
 * - {@link conversations}: one per pair, newest activity first, with unread counts, presence,
 *   typing and identity-change flags.
 * - {@link items}: a conversation's timeline in memory, oldest first (reactive); the newest page
 *   loads on first use, {@link loadOlder} pages further back (infinite scroll).
 * - {@link send} shows a `pending` row at once; statuses only move forward (pending -> sent ->
 *   delivered -> read; failed, then {@link retry}).
 * - {@link markRead} when the conversation is visible and focused; {@link setTyping} on input.
 * - {@link start} / {@link stop} follow sign-in and sign-out (modules/chat.ts).
 *
 * One tab per device owns the socket (Web Locks); the others get every change over a
 * BroadcastChannel and forward their actions to it. No DOM assumptions beyond those two APIs.
 */
export const useChatStore = defineStore('chat', () => {
  const pairs = usePairsStore();

  const connection = ref<ConnectionState>('idle');
  const timelines = shallowReactive<Record<ConversationId, readonly ChatItem[]>>({});
  const metas = shallowReactive<Record<ConversationId, ConversationMeta>>({});
  const typing = shallowReactive<Record<ConversationId, boolean>>({});
  const presence = shallowReactive<Record<ConversationId, Presence>>({});
  const identityChanged = shallowReactive<Record<ConversationId, boolean>>({});
  /** Where the next older page starts, per loaded conversation. */
  const cursors = new Map<ConversationId, { cursor: string | null; hasMore: boolean }>();
  const loading = new Map<ConversationId, Promise<HistoryPage>>();

  /** Bumped when the history opens, so timelines asked for before that load then. */
  const opened = ref(0);
  let history: HistoryStore | null = null;
  /** Resolves once this tab's pipeline runs (it leads); calls made before then wait for it. */
  let pipelineReady: { promise: Promise<ChatService>; resolve: (s: ChatService) => void } | null = null;
  let vault: Vault | null = null;
  let tabs: TabLeader | null = null;
  let service: ChatService | null = null;
  let generation = 0;

  const conversations = computed<ConversationSummary[]>(() => {
    const list = pairs.pairs
      .filter((pair) => !pair.blocked)
      .map((pair): ConversationSummary => {
        const id = pair.user.id;
        const seen = presence[id];
        return {
          id,
          handle: pair.user.handle,
          lastItem: metas[id]?.lastItem ?? null,
          unread: metas[id]?.unread ?? 0,
          online: seen?.online ?? false,
          lastSeenAt: seen && !seen.online ? seen.lastSeenAt : null,
          typing: typing[id] ?? false,
          identityChanged: identityChanged[id] ?? false,
        };
      });
    const at = (c: ConversationSummary) => (c.lastItem ? (c.lastItem.serverAt ?? c.lastItem.sentAt) : 0);
    return list.sort((a, b) => at(b) - at(a) || a.handle.localeCompare(b.handle));
  });

  // A new pair (or one loaded after the socket connected) gets its presence asked for.
  watch(
    () => pairs.pairs.map((p) => p.user.id).join(','),
    () => void service?.refreshPresence(),
  );

  function apply(event: ChatEvent): void {
    switch (event.t) {
      case 'items': {
        const current = timelines[event.conversationId];
        if (!current) {
          // Not loaded: the first page reads it from the history, unless that read is under way
          // and may have missed it; then it is kept and merged with the page.
          if (loading.has(event.conversationId))
            timelines[event.conversationId] = merge([], event.items, event.removed);
          return;
        }
        timelines[event.conversationId] = merge(current, event.items, event.removed);
        return;
      }
      case 'meta':
        metas[event.meta.conversationId] = event.meta;
        return;
      case 'typing':
        typing[event.conversationId] = event.typing;
        return;
      case 'presence':
        presence[event.presence.userId] = event.presence;
        return;
      case 'identity':
        identityChanged[event.conversationId] = event.changed;
        return;
      case 'connection':
        connection.value = event.state;
        return;
    }
  }

  /** Applies an event here and tells the other tabs. */
  function publish(event: ChatEvent): void {
    apply(event);
    tabs?.broadcast(event);
  }

  function merge(current: readonly ChatItem[], items: ChatItem[], removed: string[]): ChatItem[] {
    const byId = new Map(current.filter((i) => !removed.includes(i.id)).map((i) => [i.id, i]));
    for (const item of items) byId.set(item.id, item);
    return [...byId.values()].sort(compareItems);
  }

  /**
   * The timeline of a conversation, oldest first. Reactive; empty until its first page is read
   * (which this call starts).
   */
  function items(conversationId: ConversationId): readonly ChatItem[] {
    void opened.value; // re-run once the history is open
    const current = timelines[conversationId];
    if (!current && history) void loadOlder(conversationId);
    return current ?? EMPTY;
  }

  /** Reads the page of history before what is in memory (the newest page first). */
  function loadOlder(conversationId: ConversationId): Promise<HistoryPage> {
    const running = loading.get(conversationId);
    if (running) return running;
    const store = history;
    if (!store) return Promise.resolve({ items: [], hasMore: false });
    const position = cursors.get(conversationId);
    if (position && !position.hasMore) return Promise.resolve({ items: [], hasMore: false });
    const run = store
      .page(conversationId, HISTORY_PAGE_SIZE, position?.cursor)
      .then((page) => {
        if (store !== history) return { items: [], hasMore: false };
        const pageItems = page.records.map((r) => r.item);
        cursors.set(conversationId, { cursor: page.cursor, hasMore: page.hasMore });
        timelines[conversationId] = merge(timelines[conversationId] ?? [], pageItems, []);
        return { items: pageItems, hasMore: page.hasMore };
      })
      .finally(() => loading.delete(conversationId));
    loading.set(conversationId, run);
    return run;
  }

  function call(message: ChatCall & { t: 'call' }): Promise<void> {
    if (service || tabs?.leader) return run(message);
    if (!tabs) return Promise.reject(new Error('the chat is not started'));
    tabs.broadcast(message); // a follower: the leader tab does it
    return Promise.resolve();
  }

  async function run(message: ChatCall & { t: 'call' }): Promise<void> {
    // Leading but still starting: wait for the pipeline rather than drop the action.
    const service = await (pipelineReady?.promise ?? Promise.resolve(null));
    if (!service) return;
    switch (message.op) {
      case 'send':
        await service.send(...message.args);
        return;
      case 'markRead':
        return service.markRead(...message.args);
      case 'setTyping':
        return service.setTyping(...message.args);
      case 'retry':
        return service.retry(...message.args);
      case 'acceptIdentity':
        return service.acceptIdentity(...message.args);
    }
  }

  /**
   * Sends a text to the contact. The `pending` row appears at once (in every tab).
   * @throws TypeError for an empty or too long text (nothing is stored)
   */
  function send(conversationId: ConversationId, text: string): Promise<void> {
    return call({ t: 'call', op: 'send', args: [conversationId, text] });
  }

  /** Marks the conversation read and sends one read receipt covering its unread messages. */
  function markRead(conversationId: ConversationId): Promise<void> {
    if (metas[conversationId]?.unread === 0) return Promise.resolve();
    return call({ t: 'call', op: 'markRead', args: [conversationId] });
  }

  /** Tells the contact whether this user is typing (throttled; `false` sends "stopped" once). */
  function setTyping(conversationId: ConversationId, active: boolean): Promise<void> {
    return call({ t: 'call', op: 'setTyping', args: [conversationId, active] });
  }

  /** Sends a `failed` message again (same client message id). */
  function retry(itemId: string): Promise<void> {
    for (const [conversationId, list] of Object.entries(timelines)) {
      if (list.some((i) => i.id === itemId)) return call({ t: 'call', op: 'retry', args: [conversationId, itemId] });
    }
    return Promise.resolve();
  }

  /** The user saw the contact's new safety number: trust it and send what waited. */
  function acceptIdentity(conversationId: ConversationId): Promise<void> {
    return call({ t: 'call', op: 'acceptIdentity', args: [conversationId] });
  }

  /** Starts the chat for this device: opens the history, elects the socket-owning tab. */
  async function start(self: ChatSelf): Promise<void> {
    stop();
    const mine = ++generation;
    const deps = { ...chatDependencies };
    connection.value = 'connecting';
    const database = await deps.openVault(deviceDatabaseName(self.deviceId));
    if (mine !== generation) return database.close();
    vault = database;
    history = new HistoryStore(database);
    let resolve!: (s: ChatService) => void;
    pipelineReady = { promise: new Promise<ChatService>((r) => (resolve = r)), resolve };
    for (const meta of await history.conversations()) metas[meta.conversationId] = meta;
    opened.value++;
    const store = history;
    tabs = new TabLeader({
      name: self.deviceId,
      locks: deps.locks(),
      channel: deps.channel(self.deviceId),
      lead: () => lead(self, store, mine, deps),
      onMessage: (message) => {
        const m = message as ChatEvent | ChatCall;
        // Only the leader acts on a forwarded call (a waiting follower must not run it later too).
        if (m.t === 'call') {
          if (tabs?.leader) void run(m).catch(() => undefined);
        } else if (m.t === 'hello') tabs?.broadcast({ t: 'connection', state: connection.value } satisfies ChatEvent);
        else apply(m);
      },
    });
    tabs.start();
    tabs.broadcast({ t: 'hello' } satisfies ChatCall);
  }

  /** This tab became the leader: it owns the socket and the pipeline until {@link stop}. */
  async function lead(
    self: ChatSelf,
    store: HistoryStore,
    mine: number,
    deps: typeof chatDependencies,
  ): Promise<() => void> {
    if (mine !== generation) return () => undefined;
    const session = useSessionStore();
    const pipeline = new ChatService({
      self,
      crypto: deps.crypto(),
      directory: deps.directory(),
      history: store,
      contacts: () => pairs.pairs.filter((p) => !p.blocked).map((p) => p.user.id),
    });
    const client = deps.connection({
      url: globalThis.location?.origin ?? '',
      getAccessToken: async () => {
        if (!session.accessToken) await session.refresh();
        return session.accessToken ?? '';
      },
      storage: historyStorage(store),
      storageKey: `pairchat.chat.${self.userId}.${self.deviceId}`,
      onEnvelope: (envelope) => pipeline.handleEnvelope(envelope),
    });
    pipeline.on('items', (conversationId, list, removed) =>
      publish({ t: 'items', conversationId, items: list, removed }),
    );
    pipeline.on('meta', (meta) => publish({ t: 'meta', meta }));
    pipeline.on('typing', (conversationId, on) => publish({ t: 'typing', conversationId, typing: on }));
    pipeline.on('presence', (p) => publish({ t: 'presence', presence: p }));
    pipeline.on('identity', (conversationId, changed) => publish({ t: 'identity', conversationId, changed }));
    pipeline.on('connection', (state) => publish({ t: 'connection', state }));
    pipeline.attach(client);
    service = pipeline;
    await pipeline.start();
    pipelineReady?.resolve(pipeline);
    await client.connect();
    return () => {
      pipeline.stop();
      client.close();
      if (service === pipeline) service = null;
    };
  }

  /** Stops the chat in this tab (sign-out; another tab takes the socket over). History stays. */
  function stop(): void {
    generation++;
    tabs?.stop();
    tabs = null;
    service = null;
    pipelineReady = null;
    vault?.close();
    vault = null;
    history = null;
    cursors.clear();
    loading.clear();
    for (const record of [timelines, metas, typing, presence, identityChanged]) {
      for (const key of Object.keys(record)) delete (record as Record<string, unknown>)[key];
    }
    connection.value = 'idle';
  }

  return {
    conversations,
    connection,
    items,
    loadOlder,
    send,
    markRead,
    setTyping,
    retry,
    acceptIdentity,
    start,
    stop,
  };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useChatStore, import.meta.hot));
