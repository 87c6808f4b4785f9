import { randomBytes } from 'node:crypto';
import type {
  ClientToServerEvents,
  ServerEventName,
  ServerEventPayload,
  ServerToClientEvents,
} from '@pairchat/messaging';
import { io, type Socket } from 'socket.io-client';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Opaque bytes standing in for a Signal ciphertext (the server never looks inside). */
export function fakeCiphertext(bytes = 64): string {
  return randomBytes(bytes).toString('base64');
}

/**
 * Connects a socket.io client with an access token and records every server event it receives.
 * Resolves once connected; rejects with the connect_error (its `data.code` names the reason).
 */
export async function connectSocket(
  url: string,
  token: string | undefined,
  options: { autoAck?: boolean } = {},
): Promise<TestSocket> {
  const socket: ClientSocket = io(url, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const sut = new TestSocket(socket, options.autoAck ?? false);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return sut;
}

/** A connected client that keeps what it received, in order. */
export class TestSocket {
  readonly received: { event: ServerEventName; payload: unknown }[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    readonly socket: ClientSocket,
    autoAck: boolean,
  ) {
    socket.onAny((event: ServerEventName, payload: unknown) => {
      this.received.push({ event, payload });
      if (autoAck && (event === 'message:new' || event === 'queue:notice')) {
        socket.emit('message:ack', { envelopeIds: [(payload as { id: string }).id] });
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  all<E extends ServerEventName>(event: E): ServerEventPayload<E>[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload as ServerEventPayload<E>);
  }

  /** Waits until `count` events of this kind (matching `filter`) arrived; returns them. */
  async waitFor<E extends ServerEventName>(
    event: E,
    count = 1,
    filter: (payload: ServerEventPayload<E>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerEventPayload<E>[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.all(event).filter(filter);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} ${event} (got ${found.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  emitWithAck<E extends keyof ClientToServerEvents>(event: E, payload: unknown): Promise<unknown> {
    return (this.socket.timeout(10_000).emitWithAck as (e: string, p: unknown) => Promise<unknown>)(event, payload);
  }

  close(): void {
    this.socket.close();
  }
}

/** Resolves with the connect_error data code of a refused handshake. */
export async function handshakeError(url: string, token: string | undefined): Promise<string | undefined> {
  try {
    const s = await connectSocket(url, token);
    s.close();
    return 'CONNECTED';
  } catch (error) {
    return (error as { data?: { code?: string } }).data?.code;
  }
}
