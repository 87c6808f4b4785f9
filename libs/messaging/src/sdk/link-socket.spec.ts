import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Server } from 'socket.io';
import { subscribeLinkCompleted } from './link-socket.js';

const LINK_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe(subscribeLinkCompleted.name, () => {
  let io: Server;
  let url: string;

  beforeEach(async () => {
    const http = createServer();
    io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await io.close();
  });

  it('hands the token to the handshake and reports only well-formed link-completed events', async () => {
    const tokens: unknown[] = [];
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    io.on('connection', (socket) => {
      tokens.push((socket.handshake.auth as { token?: unknown }).token);
      socket.emit('device:link-completed', { linkId: 'not-a-uuid' });
      socket.emit('device:link-completed', { linkId: LINK_ID, extra: 1 });
      socket.emit('device:link-completed', { linkId: LINK_ID });
    });
    const close = subscribeLinkCompleted({
      url,
      getAccessToken: async () => 'access-token',
      onCompleted: (linkId) => {
        seen.push(linkId);
        done();
      },
    });
    try {
      await finished;
      expect(tokens).toEqual(['access-token']);
      expect(seen).toEqual([LINK_ID]);
    } finally {
      close();
    }
  });

  it('connects with an empty token when there is none', async () => {
    const token = new Promise<unknown>((resolve) =>
      io.on('connection', (socket) => resolve((socket.handshake.auth as { token?: unknown }).token)),
    );
    const close = subscribeLinkCompleted({ url, getAccessToken: () => null, onCompleted: () => undefined });
    try {
      expect(await token).toBe('');
    } finally {
      close();
    }
  });

  it('reconnects with a fresh token after TOKEN_EXPIRED (refused or closed) and stops on DEVICE_REVOKED', async () => {
    const FAST = { minDelayMs: 10, maxDelayMs: 20, jitter: 0 };
    const seen: unknown[] = [];
    io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown }).token;
      seen.push(token);
      if (token === 't1') next(Object.assign(new Error('expired'), { data: { code: 'TOKEN_EXPIRED' } }));
      else if (token === 't4') next(Object.assign(new Error('revoked'), { data: { code: 'DEVICE_REVOKED' } }));
      else next();
    });
    io.on('connection', (socket) => {
      // As the api does when the token of an open socket expires.
      socket.emit('error', { code: 'TOKEN_EXPIRED', message: 'expired' });
      socket.disconnect(true);
    });
    let n = 0;
    const close = subscribeLinkCompleted({
      url,
      getAccessToken: () => `t${++n}`,
      onCompleted: () => undefined,
      backoff: FAST,
    });
    try {
      for (let i = 0; i < 100 && seen.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['t1', 't2', 't3', 't4']);
    } finally {
      close();
    }
  });
});
