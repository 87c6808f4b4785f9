/**
 * The chat's messaging pipeline between the store and the server: sessions, encryption, sends with
 * their re-encryption on DEVICES_MISMATCH, incoming envelopes (decrypt, store, ack), receipts,
 * typing, resend requests after undecryptable messages, presence. No DOM and no Vue: the Pinia
 * store (stores/chat.ts) drives it, tests run two of them against each other.
 *
 * Durability: a send is first a row (`pending`) and a pending-send record in this device's
 * encrypted history; it becomes ciphertexts only when every session exists, and leaves the record
 * only when the server acked it. So a reload, a missing bundle while offline or a device-list
 * change never loses it.
 * @module
 */
import {
  type CiphertextMessage,
  fromBase64,
  isProtocolError,
  type PreKeyBundle,
  toBase64,
} from '@pairchat/crypto';
import { bundleFromWire } from '@pairchat/keys';
import {
  type Content,
  ContentError,
  decodeContent,
  type DeviceMismatchDetails,
  encodeContent,
  type Envelope,
  type MessageContent,
  type MessageSendAck,
  type MessageSendPayload,
  type OutgoingEnvelope,
  type PairchatClientEvents,
  type Presence,
  type QueueNotice,
  type SendFailure,
  type StatusChange,
  TypedEmitter,
  type TypingSendPayload,
  MAX_RECEIPT_MESSAGE_IDS,
  type MessageStatus,
} from '@pairchat/messaging';
import type { AddressDto, DecryptedMessage } from '../crypto/engine-protocol.js';
import { type ChatDirectory, DeviceCache, type DeviceAddress, statusOf, toOutgoingEnvelope } from './device-cache.js';
import { type ConversationMeta, type HistoryStore, nextStatus } from './history-store.js';
import { TypingChannel } from './typing.js';
import type { ChatItem, ConnectionState, ConversationId } from './types.js';

/** The crypto worker operations the pipeline uses (`EngineClient` fits). */
export interface ChatCrypto {
  hasSession(address: AddressDto): Promise<boolean>;
  processPreKeyBundle(bundle: PreKeyBundle, address: AddressDto): Promise<void>;
  encrypt(plaintext: Uint8Array, address: AddressDto): Promise<CiphertextMessage>;
  decryptMessage(message: CiphertextMessage, address: AddressDto): Promise<DecryptedMessage>;
  deleteSession(address: AddressDto): Promise<void>;
  /** Whether `identityKey` is the account's (ours for our own); a different one is recorded as a change. */
  trustsIdentity(address: AddressDto, identityKey: Uint8Array): Promise<boolean>;
  acceptIdentityChanges(userId: string): Promise<number>;
  /** Identity changes seen (unaccepted ones hold sends to that contact). */
  identityChanges(): Promise<{ name: string; accepted: boolean }[]>;
}

export type { ChatDirectory, DeviceAddress } from './device-cache.js';
export { TYPING_RESEND_MS, TYPING_TIMEOUT_MS } from './typing.js';

/** What the pipeline needs of the realtime client (`PairchatClient` fits). */
export interface ChatTransport {
  readonly connected: boolean;
  pending(): MessageSendPayload[];
  send(payload: MessageSendPayload): Promise<boolean>;
  sendTyping(payload: TypingSendPayload): Promise<boolean>;
  getPresence(userIds: string[]): Promise<Presence[]>;
  on<E extends keyof PairchatClientEvents>(event: E, listener: PairchatClientEvents[E]): () => void;
}

/** Who this device is. */
export interface ChatSelf {
  userId: string;
  /** The api's device id. */
  deviceId: string;
  protocolDeviceId: number;
}

export interface ChatServiceOptions {
  self: ChatSelf;
  crypto: ChatCrypto;
  directory: ChatDirectory;
  history: HistoryStore;
  now?: () => number;
  /** Client message ids (1-64 of [A-Za-z0-9_-]); random by default. */
  newId?: () => string;
  /** The contacts presence is asked for on connect. */
  contacts?: () => string[];
  /** How long a typing indicator stays without a new frame. */
  typingTimeoutMs?: number;
  /** Delay before a send that could not be encrypted (bundle fetch failed) is tried again. */
  retryDelayMs?: number;
}

/** A send the server has not acked yet, as stored (plaintext content: in the encrypted vault only). */
interface PendingSend {
  clientMessageId: string;
  recipientUserId: string;
  /** `message`: the row `rowId` in conversation `recipientUserId`; peers get `content`, own devices a sync copy. */
  kind: 'message' | 'control';
  content: Content;
  /** The history row this send carries (messages and resends). */
  rowId?: string;
  /** DEVICES_MISMATCH rounds so far; bounded so a confused server cannot loop us. */
  mismatches: number;
  /** Creation order: sends reach the server (and so every recipient) in the order they were made. */
  order: number;
}

export interface ChatServiceEvents {
  /** Rows changed or were added (`removed`: ids replaced in place). */
  items: (conversationId: ConversationId, items: ChatItem[], removed: string[]) => void;
  meta: (meta: ConversationMeta) => void;
  typing: (conversationId: ConversationId, typing: boolean) => void;
  presence: (presence: Presence) => void;
  /** The contact's identity changed (`true`: sends wait until the user accepts it). */
  identity: (conversationId: ConversationId, changed: boolean) => void;
  /**
   * A device listed on our own account presents another identity key than ours (all our devices
   * share one): it gets no sync copies. Account-level warning; the user should review their devices.
   */
  'own-identity': () => void;
  connection: (state: ConnectionState) => void;
  /** Something failed that the user cannot act on (logged by the store, never with content). */
  problem: (error: Error) => void;
}

/** The contact's identity key changed: sending waits until the user accepts it. */
export class IdentityChangedError extends Error {
  override readonly name = 'IdentityChangedError';
  constructor(readonly userId: string) {
    super('the contact identity key changed');
  }
}

/** Most DEVICES_MISMATCH rounds for one send before it is marked failed. */
export const MAX_MISMATCH_ROUNDS = 5;
/**
 * How often one message is re-sent on request while the service runs: a peer that keeps asking
 * (or a server replaying a request) cannot make this device encrypt the same text again and again.
 */
export const MAX_RESENDS_PER_MESSAGE = 3;
/** Delivered receipts are batched this long, so a queue drain answers with one receipt per sender. */
const RECEIPT_BATCH_MS = 50;

const PENDING = 'send:';

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An identity refused by the store, as the error the pipeline handles. */
function identityError(error: unknown, userId: string): unknown {
  return isProtocolError(error) && error.code === 'UntrustedIdentity' ? new IdentityChangedError(userId) : error;
}

/** The transport refused the payload itself (the wire schema): sending it again cannot help. */
class RefusedPayloadError extends Error {
  override readonly name = 'RefusedPayloadError';
}

/** A row the pipeline adds itself (identity change, gap, undecryptable placeholder). */
function systemRow(
  fields: Pick<ChatItem, 'id' | 'conversationId' | 'kind' | 'serverAt'> & Partial<ChatItem>,
): ChatItem {
  return {
    direction: 'system',
    text: null,
    sentAt: fields.serverAt!,
    status: null,
    read: true,
    messageId: null,
    ...fields,
  };
}

const chunk = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

/** The pipeline of one signed-in device. Create, {@link attach} a transport, then {@link start}. */
export class ChatService extends TypedEmitter<ChatServiceEvents> {
  private readonly self: ChatSelf;
  private readonly crypto: ChatCrypto;
  private readonly directory: ChatDirectory;
  private readonly history: HistoryStore;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly options: ChatServiceOptions;
  private transport: ChatTransport | null = null;
  private readonly detach: (() => void)[] = [];
  private readonly devices: DeviceCache;
  private readonly resends = new Map<string, number>();
  private readonly identityBlocked = new Set<string>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  private readonly receiptBatches = new Map<string, { ids: Set<string>; timer: ReturnType<typeof setTimeout> }>();
  private readonly typing: TypingChannel;
  private stopped = false;
  private lastOrder = 0;

  constructor(options: ChatServiceOptions) {
    super();
    this.options = options;
    this.self = options.self;
    this.crypto = options.crypto;
    this.directory = options.directory;
    this.history = options.history;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomId;
    this.devices = new DeviceCache(options.history, options.directory, options.self.deviceId);
    this.typing = new TypingChannel({
      selfUserId: options.self.userId,
      crypto: options.crypto,
      devices: this.devices,
      transport: () => this.transport,
      now: this.now,
      timeoutMs: options.typingTimeoutMs,
      onTyping: (conversationId, typing) => this.emit('typing', conversationId, typing),
      onIdentityChanged: (userId) => this.blockIdentity(userId),
    });
  }

  /** Subscribes to the transport's events. Its `onEnvelope` must call {@link handleEnvelope}. */
  attach(transport: ChatTransport): void {
    this.transport = transport;
    this.detach.push(
      transport.on('connected', () => {
        this.emit('connection', 'online');
        void this.flush();
        void this.refreshPresence();
      }),
      transport.on('disconnected', () => this.emit('connection', 'offline')),
      transport.on('auth-failed', () => this.emit('connection', 'offline')),
      transport.on('sent', (id, ack) => void this.onSent(id, ack).catch((e) => this.problem(e))),
      transport.on('status', (change) => void this.onStatus(change).catch((e) => this.problem(e))),
      transport.on('send-failed', (failure) => void this.onSendFailed(failure).catch((e) => this.problem(e))),
      transport.on('notice', (notice) => void this.onNotice(notice).catch((e) => this.problem(e))),
      transport.on('typing', (frame) => void this.typing.receive(frame).catch(() => undefined)),
      transport.on('presence', (presence) => this.emit('presence', presence)),
    );
  }

  /** Loads the device cache and sends what a previous run left pending. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const change of await this.crypto.identityChanges()) {
      if (change.accepted || this.identityBlocked.has(change.name)) continue;
      this.identityBlocked.add(change.name);
      this.emit('identity', change.name, true);
    }
    await this.devices.load();
    this.emit('connection', this.transport?.connected ? 'online' : 'connecting');
    await this.flush();
  }

  /** Stops timers and unsubscribes; stored state stays. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const off of this.detach.splice(0)) off();
    // Delivered receipts still in their batch window are stored as pending sends (sent on the next start).
    for (const conversationId of [...this.receiptBatches.keys()]) this.sendDelivered(conversationId);
    this.typing.stop();
    this.transport = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Outgoing

  /**
   * Sends a text: stores the `pending` row at once (returned), then encrypts and queues it.
   * @throws TypeError for an empty or too long text (nothing is stored)
   */
  async send(conversationId: ConversationId, text: string): Promise<ChatItem> {
    const id = this.newId();
    const sentAt = this.now();
    const content: MessageContent = { v: 1, t: 'message', id, text, sentAt };
    encodeContent(content); // validates before anything is stored
    const item: ChatItem = {
      id,
      conversationId,
      kind: 'text',
      direction: 'out',
      text,
      sentAt,
      serverAt: null,
      status: 'pending',
      read: false,
      messageId: null,
    };
    const send = this.newSend(conversationId, 'message', content, { clientMessageId: id, rowId: id });
    // The row and the send that carries it land together: never a row that is not sent, or the reverse.
    await this.history.insert(item, { local: true, state: { key: `${PENDING}${id}`, value: send } });
    this.changed(conversationId, [item]); // the optimistic row shows before any crypto work
    if (this.typing.active(conversationId)) void this.typing.set(conversationId, false).catch(() => undefined);
    void this.flush();
    return item;
  }

  /** Sends a failed message again under the same client message id (the server stored nothing). */
  async retry(conversationId: ConversationId, id: string): Promise<void> {
    const record = await this.history.get(conversationId, id);
    if (!record?.local || record.item.status !== 'failed' || record.item.text === null) return;
    // Refused sends left nothing on the server: same client message id. An expired one was stored
    // there, and the server answers a repeated id with the first ack: it needs a new one (the
    // content keeps the row id, so recipients still show it once).
    const stored = record.item.messageId !== null;
    const content: MessageContent = { v: 1, t: 'message', id, text: record.item.text, sentAt: record.item.sentAt };
    const send = this.newSend(conversationId, 'message', content, {
      clientMessageId: stored ? this.newId() : id,
      rowId: id,
    });
    // Statuses for the new client message id must find the row.
    if (send.clientMessageId !== id)
      await this.history.link(conversationId, id, { clientMessageId: send.clientMessageId });
    const item = await this.history.update(conversationId, id, (i) => ({ ...i, status: 'pending', messageId: null }), {
      key: `${PENDING}${send.clientMessageId}`,
      value: send,
    });
    void this.flush();
    if (item) this.changed(conversationId, [item]);
  }

  /** Marks every unread incoming row read and sends read receipts (one per 500 messages). */
  async markRead(conversationId: ConversationId): Promise<void> {
    const { unread } = await this.history.meta(conversationId);
    if (unread === 0) return; // the common case (called on focus): no page is read
    const rows = await this.history.unreadRows(conversationId, unread);
    if (rows.length === 0) return;
    const updated: ChatItem[] = [];
    for (const row of rows) {
      const next = await this.history.update(conversationId, row.id, (i) => (i.read ? null : { ...i, read: true }));
      if (next) updated.push(next);
    }
    this.changed(conversationId, updated);
    const ids = updated.map((i) => i.messageId).filter((m): m is string => m !== null);
    for (const messageIds of chunk(ids, MAX_RECEIPT_MESSAGE_IDS)) {
      await this.queueControl(conversationId, { v: 1, t: 'receipt', type: 'read', messageIds, sentAt: this.now() });
    }
  }

  /** Tells the contact this user is (not) typing (see {@link TypingChannel.set}). */
  setTyping(conversationId: ConversationId, active: boolean): Promise<void> {
    return this.typing.set(conversationId, active);
  }

  private blockIdentity(userId: string): void {
    this.identityBlocked.add(userId);
    this.emit('identity', userId, true);
  }

  /** The user accepted the contact's new identity: save it and send what waited. */
  async acceptIdentity(conversationId: ConversationId): Promise<void> {
    await this.crypto.acceptIdentityChanges(conversationId);
    this.identityBlocked.delete(conversationId);
    this.emit('identity', conversationId, false);
    await this.flush();
  }

  /** Increasing across reloads (the clock) and within one millisecond (the counter). */
  private nextOrder(): number {
    this.lastOrder = Math.max(this.now() * 1_000, this.lastOrder + 1);
    return this.lastOrder;
  }

  private async queue(send: PendingSend): Promise<void> {
    await this.history.setState(`${PENDING}${send.clientMessageId}`, send);
    void this.flush();
  }

  private queueControl(recipientUserId: string, content: Content): Promise<void> {
    return this.queue(this.newSend(recipientUserId, 'control', content));
  }

  /** A pending send in creation order (a new client message id unless given). */
  private newSend(
    recipientUserId: string,
    kind: PendingSend['kind'],
    content: Content,
    ids: { clientMessageId?: string; rowId?: string } = {},
  ): PendingSend {
    return {
      clientMessageId: ids.clientMessageId ?? this.newId(),
      recipientUserId,
      kind,
      content,
      ...(ids.rowId ? { rowId: ids.rowId } : {}),
      mismatches: 0,
      order: this.nextOrder(),
    };
  }

  /** Encrypts and hands to the transport every stored send it does not hold yet. One run at a time. */
  flush(): Promise<void> {
    this.flushAgain = true;
    this.flushing ??= this.runFlush();
    return this.flushing;
  }

  private async runFlush(): Promise<void> {
    try {
      // The check and the reset below run in one turn after each pass, so no wake-up is lost.
      while (this.flushAgain && !this.stopped) {
        this.flushAgain = false;
        await this.flushOnce();
      }
    } finally {
      this.flushing = null;
    }
  }

  private async flushOnce(): Promise<void> {
    const transport = this.transport;
    if (!transport || this.stopped) return;
    const queued = new Set(transport.pending().map((p) => p.clientMessageId));
    let retryLater = false;
    const sends: PendingSend[] = [];
    for (const key of await this.history.stateKeys(PENDING)) {
      if (queued.has(key)) continue;
      const send = await this.history.getState<PendingSend>(`${PENDING}${key}`);
      if (send && !this.identityBlocked.has(send.recipientUserId)) sends.push(send);
    }
    // Keys sort by (random) client message id; the stored order is the order the user sent in.
    sends.sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
    /** Recipients whose earlier send must wait: a later one may not overtake it. */
    const held = new Set<string>();
    for (const send of sends) {
      if (this.identityBlocked.has(send.recipientUserId) || held.has(send.recipientUserId)) continue;
      try {
        const payload = await this.encryptSend(send);
        try {
          await transport.send(payload);
        } catch (error) {
          // Only the wire schema's refusal (a TypeError, e.g. too large) is final; a storage error
          // while the SDK saves its outbox (quota, IndexedDB closing) is tried again later.
          if (error instanceof TypeError) throw new RefusedPayloadError(error.message);
          throw error;
        }
      } catch (error) {
        if (error instanceof IdentityChangedError) {
          this.blockIdentity(error.userId);
        } else if (this.isFinal(error)) {
          await this.fail(send);
        } else {
          retryLater = true; // offline or the directory is unreachable: the row stays pending
          held.add(send.recipientUserId);
        }
      }
    }
    if (retryLater && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.flush(), this.options.retryDelayMs ?? 10_000);
    }
  }

  /** A 404 from the directory (the contact is gone: unpaired, blocked, no keys) or a refused payload. */
  private isFinal(error: unknown): boolean {
    return error instanceof RefusedPayloadError || statusOf(error) === 404;
  }

  private async fail(send: PendingSend): Promise<void> {
    await this.history.deleteState(`${PENDING}${send.clientMessageId}`);
    if (send.kind === 'message' && send.rowId) await this.setStatus(send.recipientUserId, send.rowId, 'failed');
  }

  /** One ciphertext per device of the recipient (the content) and per own other device (a sync copy). */
  private async encryptSend(send: PendingSend): Promise<MessageSendPayload> {
    const peers = await this.sessionsWith(send.recipientUserId);
    const own = send.recipientUserId === this.self.userId ? [] : await this.ownDevices();
    const forPeer = encodeContent(send.content);
    const forOwn =
      send.kind === 'message' && send.content.t === 'message'
        ? encodeContent({ v: 1, t: 'sync', destinationUserId: send.recipientUserId, message: send.content })
        : forPeer;
    const envelopes: OutgoingEnvelope[] = [];
    for (const device of peers) {
      const address = { name: send.recipientUserId, deviceId: device.protocolDeviceId };
      envelopes.push(toOutgoingEnvelope(device, await this.encrypt(forPeer, address, send.recipientUserId)));
    }
    for (const device of own) {
      const address = { name: this.self.userId, deviceId: device.protocolDeviceId };
      try {
        envelopes.push(toOutgoingEnvelope(device, await this.encrypt(forOwn, address, this.self.userId)));
      } catch (error) {
        if (!(error instanceof IdentityChangedError)) throw error;
        this.emit('own-identity'); // that device gets no copy (the server may then refuse the send)
      }
    }
    if (envelopes.length === 0) throw Object.assign(new Error('the contact has no devices'), { status: 404 });
    return {
      clientMessageId: send.clientMessageId,
      recipientUserId: send.recipientUserId,
      kind: send.kind === 'message' ? 'message' : 'receipt',
      envelopes,
    };
  }

  private async encrypt(plaintext: Uint8Array, address: AddressDto, userId: string): Promise<CiphertextMessage> {
    try {
      return await this.crypto.encrypt(plaintext, address);
    } catch (error) {
      throw identityError(error, userId);
    }
  }

  /**
   * The devices of `userId` (this device excluded), each with a session. With a known device list,
   * bundles are claimed only for the devices without a session (the others keep their one-time
   * prekeys); with none, for every device.
   */
  private async sessionsWith(userId: string): Promise<DeviceAddress[]> {
    const known = this.devices.get(userId);
    let missing: Set<string> | undefined;
    if (known) {
      missing = new Set();
      for (const device of known) {
        if (!(await this.crypto.hasSession({ name: userId, deviceId: device.protocolDeviceId }))) {
          missing.add(device.deviceId);
        }
      }
      if (missing.size === 0) return known;
    }
    const response = await this.directory.claimPreKeyBundles(userId, missing && [...missing]);
    const identityKey = fromBase64(response.identityKey);
    // Every device of an account shares its identity key: a bundle under another key is an identity
    // change (the server may list a device of its own making), checked before any bundle is used.
    // The store keeps a refused key for the warning; our own account accepts only our own key.
    const [first] = response.devices.filter((d) => d.deviceId !== this.self.deviceId);
    if (first && !(await this.crypto.trustsIdentity({ name: userId, deviceId: first.protocolDeviceId }, identityKey))) {
      throw new IdentityChangedError(userId);
    }
    // Devices with a session stay as cached; a missing one the answer left out is gone.
    const list: DeviceAddress[] = known && missing ? known.filter((d) => !missing.has(d.deviceId)) : [];
    for (const wire of response.devices) {
      if (wire.deviceId === this.self.deviceId || list.some((d) => d.deviceId === wire.deviceId)) continue;
      const address = { name: userId, deviceId: wire.protocolDeviceId };
      if (!(await this.crypto.hasSession(address))) {
        try {
          await this.crypto.processPreKeyBundle(bundleFromWire(identityKey, wire), address);
        } catch (error) {
          throw identityError(error, userId);
        }
      }
      list.push({
        deviceId: wire.deviceId,
        protocolDeviceId: wire.protocolDeviceId,
        registrationId: wire.registrationId,
      });
    }
    await this.devices.set(userId, list);
    return list;
  }

  /**
   * Our other devices for sync copies. One that presents another identity key than ours is left
   * out with an account-level warning, never blocking our sends to contacts.
   */
  private async ownDevices(): Promise<DeviceAddress[]> {
    try {
      return await this.sessionsWith(this.self.userId);
    } catch (error) {
      if (!(error instanceof IdentityChangedError)) throw error;
      this.emit('own-identity');
      const withSession: DeviceAddress[] = [];
      for (const device of this.devices.get(this.self.userId) ?? []) {
        if (await this.crypto.hasSession({ name: this.self.userId, deviceId: device.protocolDeviceId })) {
          withSession.push(device);
        }
      }
      return withSession;
    }
  }

  private async onSent(clientMessageId: string, ack: MessageSendAck): Promise<void> {
    const send = await this.history.getState<PendingSend>(`${PENDING}${clientMessageId}`);
    if (!send) return;
    // Row first, record second: a crash in between re-sends, and the server answers with the same ack.
    if (send.kind !== 'message' || !send.rowId) {
      await this.history.deleteState(`${PENDING}${clientMessageId}`);
      return;
    }
    const item = await this.history.update(send.recipientUserId, send.rowId, (i) => {
      const status = nextStatus(i.status, 'sent');
      const serverAt = i.serverAt ?? Date.parse(ack.serverTimestamp);
      // A resend keeps the original's id (receipts name it); a retry of an expired message takes the new one.
      const messageId = i.messageId ?? ack.messageId;
      return status === i.status && serverAt === i.serverAt && messageId === i.messageId
        ? null
        : { ...i, status, serverAt, messageId };
    });
    // A resend is stored under a server id of its own: receipts and resend requests may name it.
    if (send.content.t === 'message' && send.content.resendOf !== undefined) {
      await this.history.link(send.recipientUserId, send.rowId, { messageId: ack.messageId });
    }
    await this.history.deleteState(`${PENDING}${clientMessageId}`);
    if (item) this.changed(send.recipientUserId, [item]);
  }

  private async onStatus(change: StatusChange): Promise<void> {
    if (change.status === 'pending' || change.status === 'failed') return; // ours to decide, from the history
    const record = await this.history.byClientId(change.clientMessageId);
    if (!record) return;
    await this.setStatus(record.item.conversationId, record.item.id, change.status, change.messageId);
  }

  private async setStatus(
    conversationId: string,
    id: string,
    status: MessageStatus,
    messageId?: string,
    expired = false,
  ): Promise<void> {
    const item = await this.history.update(conversationId, id, (i) => {
      const next = nextStatus(i.status, status, expired);
      const mid = i.messageId ?? messageId ?? null;
      return next === i.status && mid === i.messageId ? null : { ...i, status: next, messageId: mid };
    });
    if (item) this.changed(conversationId, [item]);
  }

  /**
   * DEVICES_MISMATCH: forget extra devices (and their sessions), drop the sessions of stale ones,
   * and forget the device lists of every user involved so the next encryption claims fresh
   * bundles; then the same send is encrypted again under the same client message id.
   */
  private async onSendFailed(failure: SendFailure): Promise<void> {
    const key = `${PENDING}${failure.clientMessageId}`;
    const send = await this.history.getState<PendingSend>(key);
    if (!send) return;
    if (!failure.reencrypt || send.mismatches >= MAX_MISMATCH_ROUNDS) {
      await this.fail(send);
      return;
    }
    const details = (failure.error.details ?? {}) as Partial<DeviceMismatchDetails>;
    const users = new Set<string>();
    for (const { deviceId } of details.extra ?? []) {
      for (const [userId, list] of this.devices.entries()) {
        const device = list.find((d) => d.deviceId === deviceId);
        if (!device) continue;
        await this.crypto.deleteSession({ name: userId, deviceId: device.protocolDeviceId });
        users.add(userId);
      }
    }
    for (const { userId, deviceId } of details.stale ?? []) {
      const device = this.devices.get(userId)?.find((d) => d.deviceId === deviceId);
      if (device) await this.crypto.deleteSession({ name: userId, deviceId: device.protocolDeviceId });
      users.add(userId);
    }
    for (const { userId } of details.missing ?? []) users.add(userId);
    for (const userId of users) {
      await this.devices.forget(userId);
    }
    await this.history.setState(key, { ...send, mismatches: send.mismatches + 1 });
    await this.flush();
  }

  private async onNotice(notice: QueueNotice): Promise<void> {
    if (notice.kind === 'expired') {
      for (const messageId of notice.messageIds) {
        const record = await this.history.byMessageId(messageId);
        if (record?.item.direction === 'out') {
          await this.setStatus(record.item.conversationId, record.item.id, 'failed', undefined, true);
        }
      }
      return;
    }
    // A gap names no conversation (the server cannot know it): every conversation shows it.
    const at = Date.parse(notice.serverTimestamp);
    for (const meta of await this.history.conversations()) {
      await this.store(
        systemRow({
          id: `gap-${notice.id}`,
          conversationId: meta.conversationId,
          kind: 'gap',
          serverAt: at,
          count: notice.count,
        }),
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming

  /**
   * The transport's `onEnvelope`: decrypts, stores, and returns the content; the transport acks
   * after it resolves. Throws only when the envelope should come back later (the crypto worker or
   * the directory is unavailable); every protocol or content failure becomes a visible row.
   */
  async handleEnvelope(envelope: Envelope): Promise<Content | void> {
    const fromSelf = envelope.senderUserId === this.self.userId;
    const conversationId = fromSelf ? envelope.recipientUserId : envelope.senderUserId;
    const serverAt = Date.parse(envelope.serverTimestamp);
    if (await this.history.byMessageId(envelope.messageId)) return; // stored before (a lost ack)

    const device = await this.devices.lookup(envelope.senderUserId, envelope.senderDeviceId);
    const address = device ? { name: envelope.senderUserId, deviceId: device.protocolDeviceId } : null;
    let decrypted: DecryptedMessage;
    let content: Content;
    try {
      if (!address) throw new ContentError('MALFORMED_CONTENT', 'unknown sender device');
      decrypted = await this.crypto.decryptMessage(
        { type: envelope.type as CiphertextMessage['type'], body: fromBase64(envelope.ciphertext) },
        address,
      );
      content = decodeContent(decrypted.plaintext);
    } catch (error) {
      if (!isProtocolError(error) && !(error instanceof ContentError)) throw error;
      // A duplicate means the session already moved past this message: it is healthy, keep it.
      const reset = isProtocolError(error) && error.code !== 'DuplicatedMessage';
      await this.undecryptable(envelope, conversationId, fromSelf, address, reset);
      return;
    }
    if (decrypted.identityChanged && !fromSelf) {
      // As Signal: the message shows, the change is recorded (verification cleared) and sends wait.
      this.blockIdentity(conversationId);
      await this.store(
        systemRow({ id: `identity-${envelope.messageId}`, conversationId, kind: 'identity-change', serverAt }),
      );
    }

    switch (content.t) {
      case 'message':
        if (!fromSelf) await this.receiveText(envelope, conversationId, content, 'in');
        break;
      case 'sync':
        if (fromSelf) await this.receiveText(envelope, content.destinationUserId, content.message, 'out');
        break;
      case 'receipt':
        await this.receiveReceipt(conversationId, fromSelf, content.type, content.messageIds);
        break;
      case 'resend':
        await this.resend(conversationId, content.messageIds);
        break;
      case 'typing':
        break; // typing travels on its own event
    }
    return content;
  }

  private async receiveText(
    envelope: Envelope,
    conversationId: string,
    content: MessageContent,
    direction: 'in' | 'out',
  ): Promise<void> {
    const serverAt = Date.parse(envelope.serverTimestamp);
    const item: ChatItem = {
      id: content.id,
      conversationId,
      kind: 'text',
      direction,
      text: content.text,
      sentAt: content.sentAt,
      serverAt,
      status: direction === 'out' ? 'sent' : null,
      read: false,
      // A resent copy keeps the original's server id: receipts must name what the sender holds.
      messageId: content.resendOf ?? envelope.messageId,
    };
    const placeholder = content.resendOf ? `undecryptable-${content.resendOf}` : null;
    let stored = placeholder ? await this.history.replace(conversationId, placeholder, item) : null;
    if (stored && placeholder) this.changed(conversationId, [stored.item], [placeholder]);
    else stored = await this.store(item);
    if (stored && direction === 'in') this.batchDelivered(conversationId, item.messageId!);
  }

  private async receiveReceipt(
    conversationId: string,
    fromSelf: boolean,
    type: 'delivered' | 'read',
    messageIds: string[],
  ): Promise<void> {
    for (const messageId of messageIds) {
      const record = await this.history.byMessageId(messageId);
      if (!record || record.item.conversationId !== conversationId) continue;
      if (!fromSelf && record.item.direction === 'out') {
        await this.setStatus(conversationId, record.item.id, type);
      } else if (fromSelf && type === 'read' && record.item.direction === 'in') {
        // Another of our devices read it: it is read here too.
        const item = await this.history.update(conversationId, record.item.id, (i) =>
          i.read ? null : { ...i, read: true },
        );
        if (item) this.changed(conversationId, [item]);
      }
    }
  }

  /**
   * A resend request: re-encrypt the messages this device sent, same ids, new client message ids.
   * Only messages of the requester's own conversation (our own devices: of the conversation the
   * request was sent in), and each at most {@link MAX_RESENDS_PER_MESSAGE} times: a contact cannot
   * make this device send it messages from other conversations, or the same text without end.
   */
  private async resend(conversationId: string, messageIds: string[]): Promise<void> {
    for (const messageId of new Set(messageIds)) {
      const record = await this.history.byMessageId(messageId);
      const item = record?.item;
      if (!record?.local || !item || item.kind !== 'text' || item.direction !== 'out' || item.text === null) continue;
      if (item.conversationId !== conversationId) continue;
      const count = this.resends.get(messageId) ?? 0;
      if (count >= MAX_RESENDS_PER_MESSAGE) continue;
      this.resends.set(messageId, count + 1);
      const content: MessageContent = {
        v: 1,
        t: 'message',
        id: item.id,
        text: item.text,
        sentAt: item.sentAt,
        resendOf: messageId,
      };
      // The server keeps the first copy under the original client message id: a resend needs its own,
      // indexed to the row (with the send, atomically) so its statuses find it.
      const send = this.newSend(item.conversationId, 'message', content, { rowId: item.id });
      await this.history.link(
        item.conversationId,
        item.id,
        { clientMessageId: send.clientMessageId },
        {
          key: `${PENDING}${send.clientMessageId}`,
          value: send,
        },
      );
      void this.flush();
    }
  }

  /**
   * Leaves a visible placeholder, resets the session with the sender's device (a protocol failure)
   * and asks for a resend on a fresh session. Only `message` envelopes get a row; a receipt that
   * does not decrypt only resets the session.
   */
  private async undecryptable(
    envelope: Envelope,
    conversationId: string,
    fromSelf: boolean,
    address: AddressDto | null,
    reset: boolean,
  ): Promise<void> {
    if (reset && address) await this.crypto.deleteSession(address);
    if (envelope.kind !== 'message') return;
    const serverAt = Date.parse(envelope.serverTimestamp);
    const item = systemRow({
      id: `undecryptable-${envelope.messageId}`,
      conversationId,
      kind: 'undecryptable',
      direction: fromSelf ? 'out' : 'in',
      serverAt,
      read: false,
      messageId: envelope.messageId,
    });
    const request = this.newSend(conversationId, 'control', {
      v: 1,
      t: 'resend',
      messageIds: [envelope.messageId],
      sentAt: this.now(),
    });
    // The placeholder and its resend request land together, so a placeholder always gets its answer.
    const stored = await this.history.insert(item, {
      state: { key: `${PENDING}${request.clientMessageId}`, value: request },
    });
    if (!stored) return;
    this.changed(conversationId, [item]);
    void this.flush();
  }

  private batchDelivered(conversationId: string, messageId: string): void {
    let batch = this.receiptBatches.get(conversationId);
    if (!batch) {
      batch = { ids: new Set(), timer: setTimeout(() => this.sendDelivered(conversationId), RECEIPT_BATCH_MS) };
      this.receiptBatches.set(conversationId, batch);
    }
    batch.ids.add(messageId);
  }

  /** Queues the delivered receipts batched for a conversation (one receipt per 500 ids). */
  private sendDelivered(conversationId: string): void {
    const batch = this.receiptBatches.get(conversationId);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.receiptBatches.delete(conversationId);
    void (async () => {
      for (const messageIds of chunk([...batch.ids], MAX_RECEIPT_MESSAGE_IDS)) {
        await this.queueControl(conversationId, {
          v: 1,
          t: 'receipt',
          type: 'delivered',
          messageIds,
          sentAt: this.now(),
        });
      }
    })().catch((e) => this.problem(e));
  }

  /** Asks the server who of the contacts is online (on connect, and when the pair list changes). */
  async refreshPresence(): Promise<void> {
    const contacts = this.options.contacts?.() ?? [];
    if (contacts.length === 0 || !this.transport?.connected) return;
    try {
      for (const presence of await this.transport.getPresence(contacts.slice(0, 100))) this.emit('presence', presence);
    } catch (error) {
      this.problem(error);
    }
  }

  /** Inserts a row (once per id) and tells listeners. @returns the record when it was new */
  private async store(item: ChatItem) {
    const stored = await this.history.insert(item);
    if (stored) this.changed(item.conversationId, [item]);
    return stored;
  }

  private changed(conversationId: string, items: ChatItem[], removed: string[] = []): void {
    if (items.length === 0 && removed.length === 0) return;
    this.emit('items', conversationId, items, removed);
    void this.history.meta(conversationId).then(
      (meta) => this.emit('meta', meta),
      () => undefined,
    );
  }

  private problem(error: unknown): void {
    this.emit('problem', error instanceof Error ? error : new Error(String(error)));
  }
}
