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
import { Vault, VaultBlockedError } from '@/crypto/vault.js';
import { useDeviceKeysStore } from './keys.js';
import { usePairsStore } from './pairs.js';
import { useSessionStore } from './session.js';

/** Rows read per {@link useChatStore} `loadOlder` page. */
export const HISTORY_PAGE_SIZE = 50;

/** A realtime client the store can start and stop (`PairchatClient` fits). */
export type ChatConnection = ChatTransport & {
  /** Loads the stored outbox, so the pipeline's first flush sees what is already queued. */
  load?(): Promise<void>;
  connect(): Promise<void>;
  close(): void;
};

/** How often a follower tab repeats a forwarded call until the leader takes it. */
export const FORWARD_RETRY_MS = 250;
/** A forwarded call no tab took within this time fails (the composer keeps the text). */
export const FORWARD_TIMEOUT_MS = 10_000;
/** How long the leader remembers a forwarded call's result, for a follower asking again. */
const FORWARD_RESULT_KEPT_MS = 60_000;

/** Why this tab's chat cannot use its database; the screen asks to reload or close other tabs. */
export type ChatStorageProblem = 'reload' | 'close-other-tabs';

/** What the store builds its parts from; tests replace them. */
export const chatDependencies: {
  openVault: (database: string) => Promise<Vault>;
  crypto: () => ChatCrypto;
  directory: () => ChatDirectory;
  connection: (options: ConstructorParameters<typeof PairchatClient>[0]) => ChatConnection;
  locks: () => LockManagerLike | null;
  channel: (name: string) => ChannelLike | null;
  /** The server asked for prekeys or a rotation (`keys:replenish` / `keys:rotate`). */
  maintainKeys: () => Promise<unknown>;
  /** The handshake was refused with DEVICE_REVOKED: this device was removed elsewhere. */
  signOutRevoked: () => void;
  /**
   * The server ended this device's session (`UNAUTHORIZED`: logout elsewhere or refresh-token reuse).
   * Resolves true when a refresh still works (then the chat reconnects); a refused refresh signs out
   * with its own reason (e.g. `reused`).
   */
  recheckSession: () => Promise<boolean>;
  /** A problem worth a line in the console: names and codes only, never content. */
  log: (line: string) => void;
  /** Leader retry delays; tests shorten them. */
  leadRetryDelay?: (attempt: number) => number;
  /** How long a follower's call may wait for a tab to take it. */
  forwardTimeoutMs: number;
} = {
  openVault: (name) => Vault.open({ name }),
  crypto: () => useDeviceKeysStore().engine(),
  directory: () => chatDirectory(api),
  connection: (options) => new PairchatClient(options),
  locks: () => (globalThis.navigator?.locks as LockManagerLike | undefined) ?? null,
  channel: (name) =>
    typeof BroadcastChannel === 'undefined' ? null : (new BroadcastChannel(`pairchat.chat.${name}`) as ChannelLike),
  maintainKeys: () => useDeviceKeysStore().maintain(),
  signOutRevoked: () => useSessionStore().endRevoked('revoked'),
  recheckSession: () =>
    useSessionStore()
      .refresh()
      .then(
        () => true,
        () => false,
      ),
  log: (line) => console.warn(line),
  forwardTimeoutMs: FORWARD_TIMEOUT_MS,
};

/**
 * `name` and `code` of an error, for a log line. Messages are left out: an error may quote what
 * it was given (a server message, a decoded field), and logs never carry content.
 */
export function describeProblem(error: unknown): string {
  if (!error || typeof error !== 'object') return typeof error;
  const { name, code } = error as { name?: unknown; code?: unknown };
  const label = typeof name === 'string' && name ? name : error instanceof Error ? 'Error' : 'SocketError';
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? `${label} ${code}` : label;
}

/** What the leader tab tells the others; applied the same way in the leader itself. */
type ChatEvent =
  | { t: 'items'; conversationId: string; items: ChatItem[]; removed: string[] }
  | { t: 'meta'; meta: ConversationMeta }
  | { t: 'typing'; conversationId: string; typing: boolean }
  | { t: 'presence'; presence: Presence }
  | { t: 'identity'; conversationId: string; changed: boolean }
  | { t: 'connection'; state: ConnectionState }
  /** One of this account's own devices presented another identity key: it gets no sync copies. */
  | { t: 'own-identity' }
  /** The leader's answer to `hello`: the state a new tab cannot read from the history. */
  | {
      t: 'snapshot';
      connection: ConnectionState;
      typing: Record<string, boolean>;
      presence: Record<string, Presence>;
      identity: Record<string, boolean>;
      ownIdentityMismatch: boolean;
    };

/** An action, as run in the leader. */
type ChatOp =
  | { op: 'send'; args: [string, string] }
  | { op: 'markRead'; args: [string] }
  | { op: 'setTyping'; args: [string, boolean] }
  | { op: 'retry'; args: [string, string] }
  | { op: 'acceptIdentity'; args: [string] };

/** What a follower tab asks the leader to do; `id` pairs it with the leader's answers. */
type ChatCall = ({ t: 'call'; id: string } & ChatOp) | { t: 'hello' };

/** The leader's answers to a forwarded call: taken (stop repeating it), then done or failed. */
type ChatCallAnswer =
  | { t: 'accepted'; id: string }
  | { t: 'result'; id: string; ok: true }
  | { t: 'result'; id: string; ok: false; error: { name: string; message: string } };

type ChatMessage = ChatEvent | ChatCall | ChatCallAnswer;

interface ForwardedCall {
  call: ChatCall & { t: 'call' };
  accepted: boolean;
  since: number;
  timer: ReturnType<typeof setInterval>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** An error as it crosses tabs: its name (TypeError stays a TypeError) and message. */
function reviveError(error: { name: string; message: string }): Error {
  const revived = error.name === 'TypeError' ? new TypeError(error.message) : new Error(error.message);
  if (error.name !== 'TypeError') revived.name = error.name;
  return revived;
}

const randomCallId = () => globalThis.crypto.randomUUID();

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
  /** Set when this tab's database was upgraded by a newer tab, or an older tab blocks the upgrade. */
  const storageProblem = ref<ChatStorageProblem | null>(null);
  /** True once one of this account's own devices presented an identity key other than ours (see ChatService `own-identity`). */
  const ownIdentityMismatch = ref(false);
  /** Calls this follower forwarded, until the leader answers. */
  const forwarded = new Map<string, ForwardedCall>();
  /** Calls the leader took from followers (by call id), so one asked again runs once. */
  const answered = new Map<string, Promise<ChatCallAnswer>>();
  /** Where the next older page starts, per loaded conversation. */
  const cursors = new Map<ConversationId, { cursor: string | null; hasMore: boolean }>();
  const loading = new Map<ConversationId, Promise<HistoryPage>>();

  /** Bumped when the history opens, so timelines asked for before that load then. */
  const opened = ref(0);
  let history: HistoryStore | null = null;
  /** Settles once this tab's pipeline runs (it leads) or fails to; calls made before then wait for it. */
  let pipelineReady: Deferred<ChatService> | null = null;
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
      case 'own-identity':
        ownIdentityMismatch.value = true;
        return;
      case 'snapshot':
        connection.value = event.connection;
        Object.assign(typing, event.typing);
        Object.assign(presence, event.presence);
        Object.assign(identityChanged, event.identity);
        if (event.ownIdentityMismatch) ownIdentityMismatch.value = true;
        return;
    }
  }

  function snapshot(): ChatEvent {
    return {
      t: 'snapshot',
      connection: connection.value,
      typing: { ...typing },
      presence: { ...presence },
      identity: { ...identityChanged },
      ownIdentityMismatch: ownIdentityMismatch.value,
    };
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

  function call(op: ChatOp): Promise<void> {
    if (service || tabs?.leader) return run(op);
    if (!tabs) return Promise.reject(new Error('the chat is not started'));
    const message = { t: 'call', id: randomCallId(), ...op } as ChatCall & { t: 'call' };
    // Typing is best effort (the next keystroke sends another); everything else is answered.
    if (op.op === 'setTyping') {
      tabs.broadcast(message);
      return Promise.resolve();
    }
    return forward(message);
  }

  /**
   * A follower's call: repeated until the leader takes it, then settled by the leader's result.
   * If this tab becomes leader meanwhile it runs the call itself; if no tab takes it in
   * {@link FORWARD_TIMEOUT_MS}, it fails and nothing was done.
   */
  function forward(message: ChatCall & { t: 'call' }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: ForwardedCall = {
        call: message,
        accepted: false,
        since: Date.now(),
        timer: setInterval(() => retryForward(entry), FORWARD_RETRY_MS),
        resolve,
        reject,
      };
      forwarded.set(message.id, entry);
      tabs?.broadcast(message);
    });
  }

  function settleForward(id: string, outcome: Error | null): void {
    const entry = forwarded.get(id);
    if (!entry) return;
    forwarded.delete(id);
    clearInterval(entry.timer);
    if (outcome) entry.reject(outcome);
    else entry.resolve();
  }

  function retryForward(entry: ForwardedCall): void {
    const { id } = entry.call;
    if (!tabs) return settleForward(id, new Error('the chat stopped'));
    if (tabs.leader) {
      // This tab took over: run it here (the old leader did not answer).
      forwarded.delete(id);
      clearInterval(entry.timer);
      run(entry.call).then(entry.resolve, entry.reject);
      return;
    }
    if (!entry.accepted && Date.now() - entry.since > chatDependencies.forwardTimeoutMs)
      return settleForward(id, new Error('no tab is running the chat; try again'));
    // Taken, but the leader may close before answering: the next leader gets it (same id).
    tabs.broadcast(entry.call);
  }

  /** The leader's side of a forwarded call: take it (once per id), run it, answer. */
  function answer(message: ChatCall & { t: 'call' }): void {
    tabs?.broadcast({ t: 'accepted', id: message.id } satisfies ChatCallAnswer);
    let result = answered.get(message.id);
    if (!result) {
      result = run(message).then(
        (): ChatCallAnswer => ({ t: 'result', id: message.id, ok: true }),
        (error: unknown): ChatCallAnswer => ({
          t: 'result',
          id: message.id,
          ok: false,
          error: {
            name: error instanceof Error ? error.name : 'Error',
            message: error instanceof Error ? error.message : 'failed',
          },
        }),
      );
      answered.set(message.id, result);
      void result.then(() => setTimeout(() => answered.delete(message.id), FORWARD_RESULT_KEPT_MS));
    }
    void result.then((done) => tabs?.broadcast(done));
  }

  function onAnswer(message: ChatCallAnswer): void {
    const entry = forwarded.get(message.id);
    if (!entry) return;
    if (message.t === 'accepted') entry.accepted = true;
    else settleForward(message.id, message.ok ? null : reviveError(message.error));
  }

  async function run(message: ChatOp): Promise<void> {
    // Leading but still starting: wait for the pipeline rather than drop the action (a failed
    // start rejects, and the caller sees it).
    const service = await (pipelineReady?.promise ?? Promise.resolve(null));
    if (!service) throw new Error('the chat is not started');
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
    return call({ op: 'send', args: [conversationId, text] });
  }

  /** Marks the conversation read and sends one read receipt covering its unread messages. */
  function markRead(conversationId: ConversationId): Promise<void> {
    if (metas[conversationId]?.unread === 0) return Promise.resolve();
    return call({ op: 'markRead', args: [conversationId] });
  }

  /** Tells the contact whether this user is typing (throttled; `false` sends "stopped" once). */
  function setTyping(conversationId: ConversationId, active: boolean): Promise<void> {
    return call({ op: 'setTyping', args: [conversationId, active] });
  }

  /** Sends a `failed` message again (same client message id). */
  function retry(itemId: string): Promise<void> {
    for (const [conversationId, list] of Object.entries(timelines)) {
      if (list.some((i) => i.id === itemId)) return call({ op: 'retry', args: [conversationId, itemId] });
    }
    return Promise.resolve();
  }

  /** The user saw the contact's new safety number: trust it and send what waited. */
  function acceptIdentity(conversationId: ConversationId): Promise<void> {
    return call({ op: 'acceptIdentity', args: [conversationId] });
  }

  /** Starts the chat for this device: opens the history, elects the socket-owning tab. */
  async function start(self: ChatSelf): Promise<void> {
    stop();
    const mine = ++generation;
    const deps = { ...chatDependencies };
    connection.value = 'connecting';
    storageProblem.value = null;
    let database: Vault;
    try {
      database = await deps.openVault(deviceDatabaseName(self.deviceId));
    } catch (error) {
      if (mine !== generation) return;
      connection.value = 'idle';
      if (error instanceof VaultBlockedError) {
        storageProblem.value = 'close-other-tabs';
        return;
      }
      throw error;
    }
    if (mine !== generation) return database.close();
    vault = database;
    // A newer tab upgrades the database: this one closed it and can only be reloaded.
    database.onVersionChange(() => {
      if (mine !== generation) return;
      stop();
      storageProblem.value = 'reload';
    });
    history = new HistoryStore(database);
    pipelineReady = deferred();
    for (const meta of await history.conversations()) metas[meta.conversationId] = meta;
    opened.value++;
    const store = history;
    tabs = new TabLeader({
      name: self.deviceId,
      locks: deps.locks(),
      channel: deps.channel(self.deviceId),
      lead: () => lead(self, store, database, mine, deps),
      onLeadError: (error) => deps.log(`chat: could not start (${describeProblem(error)}); retrying`),
      retryDelay: deps.leadRetryDelay,
      onMessage: (message) => {
        const m = message as ChatMessage;
        switch (m.t) {
          // Only the leader acts on a forwarded call or answers a new tab.
          case 'call':
            if (tabs?.leader) answer(m);
            return;
          case 'hello':
            if (tabs?.leader) tabs.broadcast(snapshot());
            return;
          case 'accepted':
          case 'result':
            return onAnswer(m);
          default:
            apply(m);
        }
      },
    });
    tabs.start();
    tabs.broadcast({ t: 'hello' } satisfies ChatCall);
  }

  /** This tab became the leader: it owns the socket and the pipeline until {@link stop}. */
  async function lead(
    self: ChatSelf,
    store: HistoryStore,
    database: Vault,
    mine: number,
    deps: typeof chatDependencies,
  ): Promise<() => void> {
    if (mine !== generation) return () => undefined;
    const session = useSessionStore();
    const ready = pipelineReady;
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
      storage: historyStorage(store, database),
      storageKey: `pairchat.chat.${self.userId}.${self.deviceId}`,
      onEnvelope: (envelope) => pipeline.handleEnvelope(envelope),
    });
    const detach = [
      pipeline.on('problem', (error) => deps.log(`chat: pipeline problem ${describeProblem(error)}`)),
      client.on('error', (error) => deps.log(`chat: socket error ${describeProblem(error)}`)),
      client.on('auth-failed', (code) => {
        if (code === 'DEVICE_REVOKED') deps.signOutRevoked();
        // The session ended (logout elsewhere, token reuse) but the device remains: refresh or sign in again.
        else if (code === 'UNAUTHORIZED' || code === 'SESSION_ENDED') {
          void deps.recheckSession().then((signedIn) => {
            if (signedIn && service === pipeline) void client.connect();
          });
        }
      }),
      client.on('keys-replenish', () => maintainKeys(deps)),
      client.on('keys-rotate', () => maintainKeys(deps)),
    ];
    pipeline.on('items', (conversationId, list, removed) =>
      publish({ t: 'items', conversationId, items: list, removed }),
    );
    pipeline.on('meta', (meta) => publish({ t: 'meta', meta }));
    pipeline.on('typing', (conversationId, on) => publish({ t: 'typing', conversationId, typing: on }));
    pipeline.on('presence', (p) => publish({ t: 'presence', presence: p }));
    pipeline.on('identity', (conversationId, changed) => publish({ t: 'identity', conversationId, changed }));
    pipeline.on('connection', (state) => publish({ t: 'connection', state }));
    pipeline.on('own-identity', () => publish({ t: 'own-identity' }));
    const shutdown = () => {
      for (const off of detach) off();
      pipeline.stop();
      client.close();
      if (service === pipeline) service = null;
    };
    try {
      pipeline.attach(client);
      service = pipeline;
      // The stored outbox first: the first flush then skips sends the SDK already holds.
      await client.load?.();
      await pipeline.start();
      ready?.resolve(pipeline);
      await client.connect();
    } catch (error) {
      shutdown();
      if (mine === generation && pipelineReady === ready) {
        // Calls that waited fail now; the next attempt (TabLeader retries) gets a fresh promise.
        ready?.reject(error instanceof Error ? error : new Error(String(error)));
        pipelineReady = deferred();
        if (connection.value !== 'idle') publish({ t: 'connection', state: 'offline' });
      }
      throw error;
    }
    return shutdown;
  }

  let maintaining: Promise<void> | null = null;
  let maintainAgain = false;
  /** One key maintenance at a time; a notice during a run asks for one more run after it. */
  function maintainKeys(deps: typeof chatDependencies): void {
    if (maintaining) {
      maintainAgain = true;
      return;
    }
    maintaining = (async () => {
      do {
        maintainAgain = false;
        await deps
          .maintainKeys()
          .catch((error: unknown) => deps.log(`chat: key maintenance ${describeProblem(error)}`));
      } while (maintainAgain);
    })().finally(() => (maintaining = null));
  }

  /** Stops the chat in this tab (sign-out; another tab takes the socket over). History stays. */
  function stop(): void {
    generation++;
    tabs?.stop();
    tabs = null;
    service = null;
    pipelineReady?.reject(new Error('the chat stopped'));
    pipelineReady = null;
    for (const id of [...forwarded.keys()]) settleForward(id, new Error('the chat stopped'));
    answered.clear();
    vault?.close();
    vault = null;
    history = null;
    cursors.clear();
    loading.clear();
    for (const record of [timelines, metas, typing, presence, identityChanged]) {
      for (const key of Object.keys(record)) delete (record as Record<string, unknown>)[key];
    }
    connection.value = 'idle';
    ownIdentityMismatch.value = false;
  }

  return {
    conversations,
    connection,
    storageProblem,
    ownIdentityMismatch,
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

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // nobody may be waiting; a rejection is not unhandled then
  return { promise, resolve, reject };
}

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useChatStore, import.meta.hot));
