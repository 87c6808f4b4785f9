import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { Content } from '../realtime/content.js';
import type { RealtimeErrorCode } from '../realtime/errors.js';
import {
  envelopeSchema,
  messageSendSchema,
  queueNoticeSchema,
  serverEventSchemas,
  type ClientToServerEvents,
  type Envelope,
  type HandshakeErrorCode,
  type KeysReplenish,
  type KeysRotate,
  type MessageSendAck,
  type MessageSendPayload,
  type Presence,
  type QueueNotice,
  type ServerToClientEvents,
  type SocketError,
  type TypingNew,
  type TypingSendPayload,
} from '../realtime/events.js';
import { MAX_ACK_IDS, TYPING_MAX_AGE_MS } from '../realtime/limits.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { Outbox } from './outbox.js';
import { StatusTracker, type StatusChange } from './status.js';
import type { KeyValueStorage } from './storage.js';

export type PairchatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Called once per envelope (by id, across reloads within {@link HANDLED_IDS_KEPT}): decrypt, store,
 * and return the decoded content. The envelope is acked only after this resolves; if it throws,
 * the envelope stays queued on the server and comes back on the next connect.
 * A returned receipt becomes status events.
 */
export type EnvelopeHandler = (envelope: Envelope) => Promise<Content | void> | Content | void;

export interface PairchatClientOptions {
  /** Origin of the api, e.g. `https://chat.example` (Socket.IO path `/socket.io`). */
  url: string;
  /** A current access token; called before every (re)connect, so it may refresh. */
  getAccessToken: () => string | Promise<string>;
  /** Persists the outbox and handled envelope ids (localStorage, IndexedDB wrapper, file...). */
  storage: KeyValueStorage;
  /** Key prefix in `storage`; use one per account and device. */
  storageKey?: string;
  onEnvelope: EnvelopeHandler;
  /** Timeout of one send attempt (ms) before it is retried under the same client message id. */
  ackTimeoutMs?: number;
  /** Sends in flight at once. */
  maxInFlight?: number;
  backoff?: BackoffOptions;
  /** Clock, ms since the epoch. */
  now?: () => number;
  /** Extra Socket.IO options (e.g. `transports`). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

/** Handled envelope ids remembered, so a redelivery (lost ack) is acked without handling it twice. */
export const HANDLED_IDS_KEPT = 2_000;

/** Errors after which a send is retried as is; every other error code is final for that attempt. */
const RETRYABLE: ReadonlySet<string> = new Set<RealtimeErrorCode>(['RATE_LIMITED', 'INTERNAL_ERROR']);

export interface SendFailure {
  clientMessageId: string;
  error: SocketError;
  /**
   * True for DEVICES_MISMATCH: fetch bundles / rebuild sessions per `error.details`, encrypt again
   * and send under the same client message id. The status stays `pending`.
   */
  reencrypt: boolean;
}

export interface PairchatClientEvents {
  connected: () => void;
  disconnected: (reason: string) => void;
  /**
   * The handshake was refused (`SESSION_ENDED`: the device remains, sign in again; `DEVICE_REVOKED`:
   * it was removed), or the server closed the socket because its token expired (`TOKEN_EXPIRED`) or
   * ended its session (`UNAUTHORIZED`: logout elsewhere, refresh-token reuse).
   * `TOKEN_EXPIRED` reconnects at once (getAccessToken should refresh); others stop.
   */
  'auth-failed': (code: HandshakeErrorCode | 'UNAUTHORIZED' | 'UNKNOWN') => void;
  status: (change: StatusChange) => void;
  sent: (clientMessageId: string, ack: MessageSendAck) => void;
  'send-failed': (failure: SendFailure) => void;
  'queue-empty': () => void;
  notice: (notice: QueueNotice) => void;
  typing: (frame: TypingNew) => void;
  presence: (presence: Presence) => void;
  /** `keys:replenish`: this device's one-time prekeys on the server run low (counts left); upload more. */
  'keys-replenish': (counts: KeysReplenish) => void;
  /** `keys:rotate`: this device's signed or last-resort prekey is due (or stale); rotate it. */
  'keys-rotate': (notice: KeysRotate) => void;
  /** An `error` event from the server, or an envelope handler that threw. */
  error: (error: SocketError | Error) => void;
}

/**
 * The Pairchat realtime client, for browsers and Node. Owns the socket, the outbox and the statuses;
 * never sees keys or plaintext (encryption happens before {@link send}, decryption in `onEnvelope`).
 */
export class PairchatClient extends TypedEmitter<PairchatClientEvents> {
  readonly statuses = new StatusTracker();
  private readonly outbox: Outbox;
  private readonly options: Required<Omit<PairchatClientOptions, 'socket' | 'storageKey'>> & {
    socket?: PairchatClientOptions['socket'];
    storageKey: string;
  };
  private socket: PairchatSocket | undefined;
  private reconnectAttempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private readonly inFlight = new Set<string>();
  private readonly retryAt = new Map<string, number>();
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  private handling: Promise<void> = Promise.resolve();
  private handledIds: string[] = [];
  private handledSet = new Set<string>();
  private pendingAcks: string[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private loading: Promise<void> | undefined;

  constructor(options: PairchatClientOptions) {
    super();
    this.options = {
      ackTimeoutMs: 10_000,
      maxInFlight: 8,
      backoff: DEFAULT_BACKOFF,
      now: () => Date.now(),
      storageKey: 'pairchat',
      ...options,
    };
    this.outbox = new Outbox(options.storage, `${this.options.storageKey}:outbox`);
    this.statuses.on('status', (change) => this.emit('status', change));
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Messages waiting for the server's ack (queued offline or being retried). */
  pending(): MessageSendPayload[] {
    return this.outbox.list().map((e) => e.payload);
  }

  /**
   * Loads the outbox and handled ids from storage (once; {@link connect} does it too). Call it
   * first to see {@link pending} before connecting, e.g. so queued sends are not encrypted again.
   */
  load(): Promise<void> {
    this.loading ??= (async () => {
      await this.outbox.load();
      await this.loadHandledIds();
      for (const entry of this.outbox.list()) this.statuses.apply(entry.payload.clientMessageId, 'pending');
    })().catch((error: unknown) => {
      // A failed read (storage busy, quota) is not remembered: the next call tries again.
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** Loads the outbox and handled ids, then connects; reconnects with backoff until {@link close}. */
  async connect(): Promise<void> {
    await this.load();
    this.stopped = false;
    if (!this.socket) this.socket = this.createSocket();
    this.socket.connect();
  }

  /** Disconnects for good; the outbox stays in storage. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.pumpTimer);
    this.flushAcks();
    clearTimeout(this.ackTimer);
    this.socket?.disconnect();
    this.socket?.removeAllListeners();
    this.socket = undefined;
  }

  /**
   * Queues an encrypted message (persisted first, so it survives a reload) and sends it when
   * connected, retrying under the same client message id until the server acks.
   * @returns false when that client message id is already queued
   * @throws TypeError when the payload does not match the wire schema
   */
  async send(payload: MessageSendPayload): Promise<boolean> {
    const parsed = messageSendSchema.safeParse(payload);
    if (!parsed.success) throw new TypeError(`message:send payload: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const added = await this.outbox.add(payload, this.options.now());
    if (!added) return false;
    this.statuses.apply(payload.clientMessageId, 'pending');
    this.pump();
    return true;
  }

  /** Sends an encrypted typing frame; dropped (resolves false) when not connected. Never queued. */
  async sendTyping(payload: TypingSendPayload): Promise<boolean> {
    const socket = this.socket;
    if (!socket?.connected) return false;
    const ack = await socket
      .timeout(this.options.ackTimeoutMs)
      .emitWithAck('typing:send', payload)
      .catch(() => undefined);
    return ack?.ok === true;
  }

  /** Online state of paired users (the server answers only for pairs). */
  async getPresence(userIds: string[]): Promise<Presence[]> {
    const socket = this.socket;
    if (!socket?.connected) throw new Error('not connected');
    const ack = await socket.timeout(this.options.ackTimeoutMs).emitWithAck('presence:get', { userIds });
    if (!ack.ok) throw Object.assign(new Error(ack.error.message), { code: ack.error.code });
    return ack.presence;
  }

  private createSocket(): PairchatSocket {
    const socket: PairchatSocket = io(this.options.url, {
      transports: ['websocket', 'polling'],
      autoConnect: false,
      reconnectionDelay: this.options.backoff.minDelayMs,
      reconnectionDelayMax: this.options.backoff.maxDelayMs,
      randomizationFactor: this.options.backoff.jitter,
      auth: (cb) => {
        Promise.resolve(this.options.getAccessToken()).then(
          (token) => cb({ token }),
          () => cb({ token: '' }),
        );
      },
      ...this.options.socket,
    });
    socket.on('connect', () => {
      this.reconnectAttempt = 0;
      this.emit('connected');
      this.pump();
    });
    socket.on('disconnect', (reason) => {
      this.inFlight.clear();
      this.emit('disconnected', reason);
      // The server closed this socket on purpose (e.g. device revoked): socket.io does not reconnect
      // by itself then; the next handshake tells whether the token is still good.
      if (reason === 'io server disconnect') this.scheduleReconnect();
    });
    socket.on('connect_error', (error) => {
      if (socket.active) return; // a transport failure: socket.io retries with its own backoff
      const code = (error as { data?: { code?: HandshakeErrorCode } }).data?.code ?? 'UNKNOWN';
      this.emit('auth-failed', code);
      if (code === 'TOKEN_EXPIRED' || code === 'UNKNOWN') this.scheduleReconnect();
    });
    socket.on('message:new', (envelope) => this.onEnvelope(envelope));
    socket.on('queue:notice', (notice) => {
      const parsed = queueNoticeSchema.safeParse(notice);
      if (!parsed.success) return;
      this.emit('notice', parsed.data);
      this.queueAck(parsed.data.id);
    });
    socket.on('queue:empty', () => {
      // Emitted after the handlers of every envelope sent before it.
      void this.handling.then(() => this.emit('queue-empty'));
    });
    socket.on('message:status', (status) => {
      if (!serverEventSchemas['message:status'].safeParse(status).success) return;
      this.statuses.apply(status.clientMessageId, status.status, status.messageId);
    });
    socket.on('typing:new', (frame) => {
      if (!serverEventSchemas['typing:new'].safeParse(frame).success) return;
      if (this.options.now() - Date.parse(frame.serverTimestamp) > TYPING_MAX_AGE_MS) return;
      this.emit('typing', frame);
    });
    socket.on('presence:update', (presence) => this.emit('presence', presence));
    socket.on('keys:replenish', (counts) => {
      const parsed = serverEventSchemas['keys:replenish'].safeParse(counts);
      if (parsed.success) this.emit('keys-replenish', parsed.data);
    });
    socket.on('keys:rotate', (notice) => {
      const parsed = serverEventSchemas['keys:rotate'].safeParse(notice);
      if (parsed.success) this.emit('keys-rotate', parsed.data);
    });
    socket.on('error', (error) => {
      // The server closes a socket whose token expired: the disconnect that follows reconnects
      // right away, and the next handshake asks getAccessToken for a fresh token.
      if (error?.code === 'TOKEN_EXPIRED') {
        this.reconnectAttempt = 0;
        this.emit('auth-failed', 'TOKEN_EXPIRED');
      }
      // The session ended (logout, refresh-token reuse) or the device was revoked: final. The server
      // closes the transport, which socket.io would retry on its own; stop until connect() is called.
      if (error?.code === 'UNAUTHORIZED') {
        this.halt();
        this.emit('auth-failed', 'UNAUTHORIZED');
      }
      this.emit('error', error);
    });
    return socket;
  }

  /** Stops reconnecting (socket.io's own retries included); {@link connect} starts again. */
  private halt(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.disconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.reconnectAttempt++, this.options.backoff);
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopped && this.socket && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  /** Sends queued messages, at most `maxInFlight` at once, in queue order. */
  private pump(): void {
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    const socket = this.socket;
    if (!socket?.connected) return;
    const now = this.options.now();
    let nextRetry = Infinity;
    for (const entry of this.outbox.list()) {
      if (this.inFlight.size >= this.options.maxInFlight) break;
      const id = entry.payload.clientMessageId;
      if (this.inFlight.has(id)) continue;
      const at = this.retryAt.get(id) ?? 0;
      if (at > now) {
        nextRetry = Math.min(nextRetry, at);
        continue;
      }
      this.inFlight.add(id);
      void this.attempt(socket, entry.payload, entry.attempts);
    }
    if (nextRetry !== Infinity) this.pumpTimer = setTimeout(() => this.pump(), nextRetry - now);
  }

  private async attempt(socket: PairchatSocket, payload: MessageSendPayload, attempts: number): Promise<void> {
    const id = payload.clientMessageId;
    await this.outbox.attempted(id);
    let answer: MessageSendAck | { ok: false; error: SocketError } | undefined;
    try {
      answer = await socket.timeout(this.options.ackTimeoutMs).emitWithAck('message:send', payload);
    } catch {
      answer = undefined; // timed out or disconnected: retry under the same id
    }
    if (!this.inFlight.delete(id)) return; // the socket went away meanwhile; the next connect resends
    if (answer?.ok) {
      this.retryAt.delete(id);
      await this.outbox.remove(id);
      this.statuses.apply(id, 'sent', answer.messageId);
      this.emit('sent', id, answer);
    } else if (answer && !RETRYABLE.has(answer.error.code)) {
      this.retryAt.delete(id);
      await this.outbox.remove(id);
      const reencrypt = answer.error.code === 'DEVICES_MISMATCH';
      if (!reencrypt) this.statuses.apply(id, 'failed');
      this.emit('send-failed', { clientMessageId: id, error: answer.error, reencrypt });
    } else {
      const hinted = Number(answer?.error.details?.['retryAfterMs']);
      const delay =
        Number.isFinite(hinted) && hinted > 0 ? hinted : backoffDelay(Math.min(attempts, 16), this.options.backoff);
      this.retryAt.set(id, this.options.now() + delay);
    }
    this.pump();
  }

  private onEnvelope(raw: Envelope): void {
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success) return; // not acked: a malformed frame is never silently dropped from the queue
    const envelope = parsed.data;
    // Handled one at a time, in arrival (= server) order.
    this.handling = this.handling.then(async () => {
      if (!this.handledSet.has(envelope.id)) {
        try {
          const content = await this.options.onEnvelope(envelope);
          if (content && content.t === 'receipt') this.statuses.applyReceipt(content.type, content.messageIds);
        } catch (error) {
          this.emit('error', error instanceof Error ? error : new Error(String(error)));
          return;
        }
        await this.rememberHandled(envelope.id);
      }
      this.queueAck(envelope.id);
    });
  }

  private queueAck(id: string): void {
    this.pendingAcks.push(id);
    if (this.pendingAcks.length >= MAX_ACK_IDS) this.flushAcks();
    else this.ackTimer ??= setTimeout(() => this.flushAcks(), 5);
  }

  private flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const socket = this.socket;
    while (this.pendingAcks.length > 0 && socket?.connected) {
      const envelopeIds = this.pendingAcks.splice(0, MAX_ACK_IDS);
      socket.emit('message:ack', { envelopeIds });
    }
    // Not connected: the envelopes stay queued server-side and come back; handled ids make that harmless.
    this.pendingAcks = [];
  }

  private async loadHandledIds(): Promise<void> {
    const raw = await this.options.storage.getItem(`${this.options.storageKey}:handled`);
    try {
      const ids = raw ? (JSON.parse(raw) as unknown) : [];
      if (Array.isArray(ids))
        this.handledIds = ids.filter((id): id is string => typeof id === 'string').slice(-HANDLED_IDS_KEPT);
    } catch {
      this.handledIds = [];
    }
    this.handledSet = new Set(this.handledIds);
  }

  private async rememberHandled(id: string): Promise<void> {
    this.handledIds.push(id);
    this.handledSet.add(id);
    if (this.handledIds.length > HANDLED_IDS_KEPT) this.handledSet.delete(this.handledIds.shift()!);
    await this.options.storage.setItem(`${this.options.storageKey}:handled`, JSON.stringify(this.handledIds));
  }
}
