import { io } from 'socket.io-client';
import { deviceLinkCompletedSchema, type HandshakeErrorCode } from '../realtime/events.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { PairchatSocket } from './client.js';

export interface LinkCompletedSubscription {
  /** Origin of the api (as {@link PairchatClientOptions.url}). */
  url: string;
  /** A current access token; called before every (re)connect. */
  getAccessToken: () => string | null | Promise<string | null>;
  /** Called with the link id of every valid `device:link-completed` this device receives. */
  onCompleted: (linkId: string) => void;
  /** Delays between reconnects after a refused handshake or a server-side close. */
  backoff?: BackoffOptions;
}

/**
 * While a new device waits for its link: a typed socket of its own that only listens for
 * `device:link-completed` (a device without keys has no message queue, so it receives nothing
 * else; the full {@link PairchatClient} starts once the device has keys). Payloads that do not
 * match the shared schema are ignored.
 * @returns a function that closes the socket
 */
export function subscribeLinkCompleted({
  url,
  getAccessToken,
  onCompleted,
  backoff = DEFAULT_BACKOFF,
}: LinkCompletedSubscription): () => void {
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const socket: PairchatSocket = io(url, {
    transports: ['websocket', 'polling'],
    auth: (cb) => {
      Promise.resolve(getAccessToken()).then(
        (token) => cb({ token: token ?? '' }),
        () => cb({ token: '' }),
      );
    },
  });
  // Socket.IO retries transport failures itself, but not a refused handshake nor a server-side
  // close (the server closes a socket when its token expires): those reconnect here, each
  // handshake asking getAccessToken for a fresh token. A final refusal stops.
  const reconnect = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => !closed && !socket.connected && socket.connect(), backoffDelay(attempt++, backoff));
  };
  socket.on('connect', () => (attempt = 0));
  socket.on('disconnect', (reason) => reason === 'io server disconnect' && reconnect());
  socket.on('connect_error', (error) => {
    if (socket.active) return;
    const code = (error as { data?: { code?: HandshakeErrorCode } }).data?.code;
    if (code === undefined || code === 'TOKEN_EXPIRED') reconnect();
  });
  socket.on('error', (error) => {
    if (error?.code === 'UNAUTHORIZED') {
      closed = true;
      socket.close();
    }
  });
  socket.on('device:link-completed', (payload) => {
    const parsed = deviceLinkCompletedSchema.safeParse(payload);
    if (parsed.success) onCompleted(parsed.data.linkId);
  });
  return () => {
    closed = true;
    clearTimeout(timer);
    socket.close();
  };
}
