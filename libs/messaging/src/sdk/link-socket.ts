import { io } from 'socket.io-client';
import { deviceLinkCompletedSchema } from '../realtime/events.js';
import type { PairchatSocket } from './client.js';

export interface LinkCompletedSubscription {
  /** Origin of the api (as {@link PairchatClientOptions.url}). */
  url: string;
  /** A current access token; called before every (re)connect. */
  getAccessToken: () => string | null | Promise<string | null>;
  /** Called with the link id of every valid `device:link-completed` this device receives. */
  onCompleted: (linkId: string) => void;
}

/**
 * While a new device waits for its link: a typed socket of its own that only listens for
 * `device:link-completed` (a device without keys has no message queue, so it receives nothing
 * else; the full {@link PairchatClient} starts once the device has keys). Payloads that do not
 * match the shared schema are ignored.
 * @returns a function that closes the socket
 */
export function subscribeLinkCompleted({ url, getAccessToken, onCompleted }: LinkCompletedSubscription): () => void {
  const socket: PairchatSocket = io(url, {
    transports: ['websocket', 'polling'],
    auth: (cb) => {
      Promise.resolve(getAccessToken()).then(
        (token) => cb({ token: token ?? '' }),
        () => cb({ token: '' }),
      );
    },
  });
  socket.on('device:link-completed', (payload) => {
    const parsed = deviceLinkCompletedSchema.safeParse(payload);
    if (parsed.success) onCompleted(parsed.data.linkId);
  });
  return () => {
    socket.close();
  };
}
