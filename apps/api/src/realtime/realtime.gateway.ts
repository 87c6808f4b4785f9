import { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import {
  clientEventSchemas,
  handshakeAuthSchema,
  QUEUE_PAGE_SIZE,
  type ClientEventName,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SocketError,
} from '@pairchat/messaging';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { AuthContext } from '../auth/auth-context.js';
import { AppError } from '../common/app-error.js';
import { loggableError } from '../common/loggable-error.js';
import { DevicesService } from '../devices/devices.service.js';
import { MessagingService } from '../messaging/messaging.service.js';
import { PairingService } from '../pairing/pairing.service.js';
import { PresenceService } from './presence.service.js';
import { verifyAccessToken } from './socket-auth.js';
import { deviceControlRoom, deviceRoom, SocketEmitter, userRoom, type PairchatServer } from './socket-emitter.js';

type PairchatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

interface SocketData {
  auth: AuthContext;
  /** Access token expiry (epoch ms). */
  expiresAt: number;
  expiryTimer?: ReturnType<typeof setTimeout>;
  /** Envelope ids sent by the drain and not acked yet. */
  awaiting: Set<string>;
  wake?: () => void;
}

/** A drain page whose acks don't come within this long ends the drain; the rest waits for the next connect. */
const DRAIN_ACK_TIMEOUT_MS = 30_000;

type Answer = Record<string, unknown> & { ok: true };
type Handler<E extends ClientEventName> = (
  auth: AuthContext,
  payload: z.output<(typeof clientEventSchemas)[E]>,
  socket: PairchatSocket,
) => Promise<Answer>;

/**
 * The Socket.IO gateway. Thin: authenticates the handshake like the HTTP JWT strategy, joins
 * `user:<id>` and `device:<id>`, validates each inbound event with the shared schema and calls the
 * messaging service, which REST uses too. On connect a device drains its queue in server order,
 * page by page with acks, then gets `queue:empty`.
 */
@WebSocketGateway()
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('RealtimeGateway');

  private readonly handlers: { [E in ClientEventName]: Handler<E> } = {
    'message:send': (auth, payload) => this.messaging.send(auth, payload),
    'message:ack': async (auth, payload, socket) => {
      await this.messaging.ack(auth, payload.envelopeIds);
      this.acked(socket, payload.envelopeIds);
      return { ok: true };
    },
    'typing:send': async (auth, payload) => {
      await this.messaging.relayTyping(auth, payload);
      return { ok: true };
    },
    'presence:get': async (auth, payload) => {
      const visible = await this.pairsAmong(auth.userId, payload.userIds);
      return { ok: true, presence: await this.presence.get(visible) };
    },
  };

  constructor(
    private readonly jwt: JwtService,
    private readonly devices: DevicesService,
    private readonly messaging: MessagingService,
    private readonly pairing: PairingService,
    private readonly presence: PresenceService,
    private readonly emitter: SocketEmitter,
  ) {}

  afterInit(server: PairchatServer): void {
    this.emitter.attach(server);
    // Idle memory: a socket would keep its upgrade request (headers and all) for its whole life.
    // Nothing reads it after the handshake here (auth comes in the CONNECT packet).
    server.engine?.on('connection', (raw: { request: unknown }) => {
      raw.request = null;
    });
    server.use((socket, next) => {
      const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
      verifyAccessToken(this.jwt, this.devices, auth.success ? auth.data.token : undefined).then(
        ({ auth, expiresAt }) => {
          Object.assign((socket as PairchatSocket).data, { auth, expiresAt });
          next();
        },
        (error: Error) => next(error),
      );
    });
  }

  handleConnection(socket: PairchatSocket): void {
    const { auth } = socket.data;
    socket.data.awaiting = new Set();
    socket.data.expiryTimer = setTimeout(() => this.expire(socket), Math.max(0, socket.data.expiresAt - Date.now()));
    void socket.join([userRoom(auth.userId), deviceControlRoom(auth.deviceId)]);
    for (const event of Object.keys(this.handlers) as ClientEventName[]) this.listen(socket, event);
    socket.onAny((event: string, ...args: unknown[]) => {
      if (event in this.handlers) return;
      this.fail(socket, { code: 'UNKNOWN_EVENT', message: 'unknown event', event }, args.at(-1));
    });
    void this.drain(socket).catch((error) =>
      this.logger.error(`queue drain failed: ${JSON.stringify(loggableError(error))}`),
    );
    void this.presenceChanged(auth.userId, true, this.presence.connected(auth.userId, socket.id));
  }

  handleDisconnect(socket: PairchatSocket): void {
    const auth = socket.data.auth;
    if (!auth) return;
    clearTimeout(socket.data.expiryTimer);
    socket.data.wake?.();
    void this.presenceChanged(auth.userId, false, this.presence.disconnected(auth.userId, socket.id));
  }

  private listen<E extends ClientEventName>(socket: PairchatSocket, event: E): void {
    (socket.on as (event: string, listener: (...args: unknown[]) => void) => void)(event, (...args: unknown[]) => {
      const ack = args.at(-1);
      const parsed = clientEventSchemas[event].safeParse(args[0]);
      if (!parsed.success) {
        const issues = parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
        return this.fail(
          socket,
          { code: 'VALIDATION_FAILED', message: `invalid ${event} payload`, event, details: { issues } },
          ack,
        );
      }
      this.handlers[event](socket.data.auth, parsed.data as never, socket).then(
        (answer) => (typeof ack === 'function' ? ack(answer) : undefined),
        (error: unknown) => this.fail(socket, this.toSocketError(error, event), ack),
      );
    });
  }

  /**
   * A socket lives no longer than its access token: at expiry it is told TOKEN_EXPIRED and closed;
   * the client reconnects with a fresh token (the handshake checks the device again).
   */
  private expire(socket: PairchatSocket): void {
    if (!socket.connected) return;
    socket.emit('error', { code: 'TOKEN_EXPIRED', message: 'the access token expired; reconnect with a fresh one' });
    socket.disconnect(true);
  }

  /** Answers a refused event: the `error` event, and the ack when the client asked for one. */
  private fail(socket: PairchatSocket, error: SocketError, ack: unknown): void {
    socket.emit('error', error);
    if (typeof ack === 'function') ack({ ok: false, error });
  }

  private toSocketError(error: unknown, event: string): SocketError {
    if (error instanceof AppError) {
      const body = error.getResponse() as { message: string; details?: Record<string, unknown> };
      return { code: error.code, message: body.message, event, ...(body.details ? { details: body.details } : {}) };
    }
    this.logger.error(`${event} failed: ${JSON.stringify(loggableError(error))}`);
    return { code: 'INTERNAL_ERROR', message: 'internal error', event };
  }

  /**
   * Sends the device its queue, one page at a time, each page after the previous one was acked.
   * The device room is joined once the backlog is out, then the queue is read once more for what
   * was stored meanwhile (a duplicate of a live push is harmless: clients deduplicate by id).
   */
  private async drain(socket: PairchatSocket): Promise<void> {
    const { deviceId } = socket.data.auth;
    await this.sendPages(socket);
    if (!socket.connected) return;
    await socket.join(deviceRoom(deviceId));
    await this.sendPages(socket);
    if (socket.connected) socket.emit('queue:empty', {});
  }

  private async sendPages(socket: PairchatSocket): Promise<void> {
    const { awaiting } = socket.data;
    for (;;) {
      if (!socket.connected) return;
      const page = await this.messaging.pendingFor(socket.data.auth.deviceId, awaiting, QUEUE_PAGE_SIZE);
      if (page.length === 0) return;
      for (const item of page) {
        awaiting.add(item.payload.id);
        (socket.emit as (event: string, payload: unknown) => boolean)(item.event, item.payload);
      }
      const acked = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), DRAIN_ACK_TIMEOUT_MS);
        socket.data.wake = () => {
          if (awaiting.size > 0 && socket.connected) return;
          clearTimeout(timer);
          socket.data.wake = undefined;
          resolve(socket.connected);
        };
        socket.data.wake();
      });
      if (!acked) return;
    }
  }

  private acked(socket: PairchatSocket, envelopeIds: string[]): void {
    for (const id of envelopeIds) socket.data.awaiting.delete(id);
    socket.data.wake?.();
  }

  private async pairsAmong(userId: string, userIds: string[]): Promise<string[]> {
    const allowed = await Promise.all(userIds.map((id) => this.messaging.canCommunicate(userId, id)));
    return userIds.filter((_, i) => allowed[i]);
  }

  /**
   * Tells the user's pairs (and nobody else) when they come online or go offline: one query for who
   * may see it, no presence read (the transition is the news, and its time is now).
   */
  private async presenceChanged(userId: string, online: boolean, transition: Promise<boolean>): Promise<void> {
    try {
      if (!(await transition)) return;
      const visible = await this.pairing.listReachableUserIds(userId);
      if (visible.length === 0) return;
      const presence = { userId, online, lastSeenAt: new Date().toISOString() };
      this.emitter.send('presence:update', visible.map(userRoom), presence);
    } catch (error) {
      // Presence is best effort (e.g. sockets closing while the app shuts down).
      this.logger.debug(`presence update failed: ${(error as Error).message}`);
    }
  }
}
