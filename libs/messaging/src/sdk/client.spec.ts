import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Server } from 'socket.io';
import type { MessageSendPayload } from '../realtime/events.js';
import { PairchatClient, type PairchatClientEvents } from './client.js';
import { Outbox } from './outbox.js';
import { MemoryStorage } from './storage.js';

const payload: MessageSendPayload = {
  clientMessageId: '8f14e45f-ceea-467a-9af0-0000000000aa',
  recipientUserId: '8f14e45f-ceea-467a-9af0-000000000001',
  envelopes: [{ deviceId: '8f14e45f-ceea-467a-9af0-000000000002', registrationId: 7, type: 2, ciphertext: 'AAAA' }],
};
const uploadedAt = '2026-12-01T10:00:00.000Z';

/** The next `event` of `client`, with its arguments. */
function next<E extends keyof PairchatClientEvents>(
  client: PairchatClient,
  event: E,
): Promise<Parameters<PairchatClientEvents[E]>> {
  return new Promise((resolve) => {
    const off = client.on(event, ((...args: Parameters<PairchatClientEvents[E]>) => {
      off();
      resolve(args);
    }) as PairchatClientEvents[E]);
  });
}

describe(PairchatClient.name, () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  const clients: PairchatClient[] = [];

  beforeEach(async () => {
    http = createServer();
    io = new Server(http);
    // A real handshake refusal carries its code in `data`, as the api's gateway sends it.
    io.use((socket, nextMiddleware) => {
      const token = (socket.handshake.auth as { token?: string }).token;
      if (token === 'revoked')
        nextMiddleware(Object.assign(new Error('device revoked'), { data: { code: 'DEVICE_REVOKED' } }));
      else if (token === 'ended')
        nextMiddleware(Object.assign(new Error('session ended'), { data: { code: 'SESSION_ENDED' } }));
      else nextMiddleware();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await io.close();
  });

  const aClient = (token: string, storage = new MemoryStorage()) => {
    const sut = new PairchatClient({
      url,
      getAccessToken: () => token,
      storage,
      onEnvelope: () => undefined,
      socket: { transports: ['websocket'] },
    });
    clients.push(sut);
    return sut;
  };

  it('surfaces keys:replenish and keys:rotate, and drops frames that do not match their schema', async () => {
    io.on('connection', (socket) => {
      socket.on('ready', () => {
        socket.emit('keys:replenish', { ecPreKeys: -1, kyberPreKeys: 3 } as never);
        socket.emit('keys:replenish', { ecPreKeys: 4, kyberPreKeys: 3 });
        socket.emit('keys:rotate', { reason: 'later', signedPreKeyUploadedAt: uploadedAt } as never);
        socket.emit('keys:rotate', {
          reason: 'stale',
          signedPreKeyUploadedAt: uploadedAt,
          lastResortKyberPreKeyUploadedAt: uploadedAt,
        });
      });
    });
    const sut = aClient('good');
    const replenish: unknown[] = [];
    const rotate: unknown[] = [];
    sut.on('keys-replenish', (counts) => replenish.push(counts));
    sut.on('keys-rotate', (notice) => rotate.push(notice));
    const connected = next(sut, 'connected');
    await sut.connect();
    await connected;
    const rotated = next(sut, 'keys-rotate');
    (sut as unknown as { socket: { emit(event: string): void } }).socket.emit('ready');
    await rotated;

    expect(replenish).toEqual([{ ecPreKeys: 4, kyberPreKeys: 3 }]);
    expect(rotate).toEqual([
      { reason: 'stale', signedPreKeyUploadedAt: uploadedAt, lastResortKyberPreKeyUploadedAt: uploadedAt },
    ]);
  });

  it('reports a DEVICE_REVOKED handshake refusal as auth-failed with that code', async () => {
    const sut = aClient('revoked');
    const failed = next(sut, 'auth-failed');
    await sut.connect();
    expect(await failed).toEqual(['DEVICE_REVOKED']);
    expect(sut.connected).toBe(false);
  });

  it('reports a SESSION_ENDED handshake refusal once and does not retry it', async () => {
    let attempts = 0;
    io.engine.on('connection', () => attempts++);
    // A backoff this short would show any retry within the wait below.
    const sut = new PairchatClient({
      url,
      getAccessToken: () => 'ended',
      storage: new MemoryStorage(),
      onEnvelope: () => undefined,
      socket: { transports: ['websocket'] },
      backoff: { minDelayMs: 10, maxDelayMs: 20, jitter: 0 },
    });
    clients.push(sut);
    const failures: string[] = [];
    sut.on('auth-failed', (code) => failures.push(code));
    await sut.connect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failures).toEqual(['SESSION_ENDED']);
    expect(attempts).toBe(1);
    expect(sut.connected).toBe(false);
  });

  it('stops reconnecting when the server ends the session (UNAUTHORIZED), and reconnects after TOKEN_EXPIRED', async () => {
    let connections = 0;
    io.on('connection', (socket) => {
      connections++;
      if (connections === 1) {
        socket.emit('error', { code: 'TOKEN_EXPIRED', message: 'expired' });
        socket.disconnect(true);
      } else {
        socket.emit('error', { code: 'UNAUTHORIZED', message: 'the session ended' });
        // As the api does: the transport is closed without a DISCONNECT packet.
        socket.conn.close();
      }
    });
    const sut = aClient('good');
    const codes: string[] = [];
    sut.on('auth-failed', (code) => codes.push(code));
    const ended = new Promise<void>((resolve) => sut.on('auth-failed', (code) => code === 'UNAUTHORIZED' && resolve()));
    await sut.connect();
    await ended;
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(codes).toEqual(['TOKEN_EXPIRED', 'UNAUTHORIZED']);
    expect(connections).toBe(2);
    expect(sut.connected).toBe(false);
  });

  it('keeps an outbox entry queued before registrationId was required', async () => {
    const storage = new MemoryStorage();
    const old = { ...payload, envelopes: payload.envelopes.map(({ registrationId: _, ...rest }) => rest) };
    await storage.setItem('pairchat:outbox', JSON.stringify([{ payload: old, queuedAt: 1, attempts: 0 }]));
    const sut = aClient('good', storage);
    await sut.load();
    expect(sut.pending()).toEqual([old]);
  });

  it('tries loading again after a failed storage read', async () => {
    const storage = new MemoryStorage();
    await new Outbox(storage, 'pairchat:outbox').add(payload, 1);
    const getItem = storage.getItem.bind(storage);
    let failures = 1;
    storage.getItem = async (key: string) => {
      if (failures-- > 0) throw new Error('storage busy');
      return getItem(key);
    };
    const sut = aClient('good', storage);
    await expect(sut.load()).rejects.toThrow('storage busy');
    await sut.load();
    expect(sut.pending()).toEqual([payload]);
  });

  it('loads the stored outbox before connecting, once', async () => {
    const storage = new MemoryStorage();
    const earlier = new Outbox(storage, 'pairchat:outbox');
    await earlier.add(payload, 1);
    const sut = aClient('good', storage);
    expect(sut.pending()).toEqual([]);

    await Promise.all([sut.load(), sut.load()]);

    expect(sut.pending()).toEqual([payload]);
    expect(sut.connected).toBe(false);
    expect(sut.statuses.get(payload.clientMessageId)).toBe('pending');
  });
});
