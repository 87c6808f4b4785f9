import { Injectable } from '@nestjs/common';
import type {
  ClientToServerEvents,
  ServerEventName,
  ServerEventPayload,
  ServerToClientEvents,
  SocketError,
} from '@pairchat/messaging';
import type { Server } from 'socket.io';

export type PairchatServer = Server<ClientToServerEvents, ServerToClientEvents>;

/** Room of every socket of one user. */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Room of the socket(s) of one device. */
export const deviceRoom = (deviceId: string): string => `device:${deviceId}`;
/**
 * Joined at connect, before the queue drain (the device room is joined only after it, to keep order):
 * so a revocation reaches a socket that is still draining.
 */
export const deviceControlRoom = (deviceId: string): string => `device-control:${deviceId}`;

/**
 * The one way services talk to connected clients: a typed `send(event, room, payload)` whose
 * payload type comes from the shared event map. With the Redis adapter, a send reaches the room on
 * every node. Before the gateway is up (or in a process without one) sends go nowhere: everything
 * that matters is queued in the database and drained on connect.
 */
@Injectable()
export class SocketEmitter {
  private server: PairchatServer | undefined;

  attach(server: PairchatServer): void {
    this.server = server;
  }

  send<E extends ServerEventName>(event: E, room: string | string[], payload: ServerEventPayload<E>): void {
    if (!this.server) return;
    (this.server.to(room).emit as (event: E, payload: ServerEventPayload<E>) => boolean)(event, payload);
  }

  /** Like {@link send}, but skips the sockets that are also in `except` (e.g. the device that caused the event). */
  sendExcept<E extends ServerEventName>(event: E, room: string, except: string, payload: ServerEventPayload<E>): void {
    if (!this.server) return;
    (this.server.to(room).except(except).emit as (event: E, payload: ServerEventPayload<E>) => boolean)(event, payload);
  }

  /** Like {@link send}, but dropped for sockets that cannot take it right now (typing frames). */
  sendVolatile<E extends ServerEventName>(event: E, room: string | string[], payload: ServerEventPayload<E>): void {
    if (!this.server) return;
    (this.server.volatile.to(room).emit as (event: E, payload: ServerEventPayload<E>) => boolean)(event, payload);
  }

  /**
   * Closes every socket of a device, on every node (a revoked device, a logged-out session), after
   * telling them why when `error` is given.
   */
  disconnectDevice(deviceId: string, error?: SocketError): void {
    if (!this.server) return;
    if (error) this.server.to(deviceControlRoom(deviceId)).emit('error', error);
    this.server.in(deviceControlRoom(deviceId)).disconnectSockets(true);
  }
}
