import type { ClientToServerEvents, ServerToClientEvents } from '@pairchat/messaging';
import { io, type Socket } from 'socket.io-client';

/**
 * While a new device waits for its link: a socket of its own that only listens for
 * `device:link-completed` (the chat's socket starts once the device has keys, which is after).
 * A device without keys has no message queue, so this socket receives nothing else.
 * @returns a function that closes the socket
 */
export function subscribeLinkCompleted(
  accessToken: () => string | null,
  onCompleted: (linkId: string) => void,
): () => void {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
    transports: ['websocket', 'polling'],
    auth: (cb) => cb({ token: accessToken() ?? '' }),
  });
  socket.on('device:link-completed', ({ linkId }) => onCompleted(linkId));
  return () => {
    socket.close();
  };
}
