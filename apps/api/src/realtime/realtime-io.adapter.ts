import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';

/** Room of a socket's own id (20 chars) is never a separate channel; `user:`/`device:` rooms are. */
const SUBSCRIPTION_MODE = 'dynamic';

/**
 * Socket.IO server for the api: websocket first (polling allowed as a fallback), a frame limit that
 * fits the largest allowed `message:send`, and, with REDIS_URL, the sharded Redis adapter (Redis 7
 * SPUBLISH/SSUBSCRIBE) with dynamic subscriptions, so an event for `device:<id>` reaches only the
 * node that holds that device. Its pub/sub clients are connected up front, before the server starts.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private pub: Redis | undefined;
  private sub: Redis | undefined;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  /** Connects the Redis pub/sub clients (no-op without REDIS_URL). */
  async connect(): Promise<void> {
    if (!this.config.redisUrl) return;
    // Auto-pipelining: the publishes of one event-loop turn (a send batch's pushes) go out in one write.
    this.pub = new Redis(this.config.redisUrl, { lazyConnect: true, enableAutoPipelining: true });
    this.sub = this.pub.duplicate({ enableAutoPipelining: false });
    await Promise.all([this.pub.connect(), this.sub.connect()]);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { maxCiphertextBytes, maxDevicesPerMessage } = this.config.messaging;
    // base64 of every ciphertext of one send, plus room for the JSON around them.
    const maxFrame = Math.ceil(maxCiphertextBytes / 3) * 4 * maxDevicesPerMessage + 64 * 1024;
    const server: Server = super.createIOServer(port, {
      ...options,
      transports: ['websocket', 'polling'],
      serveClient: false,
      maxHttpBufferSize: Math.max(1_000_000, maxFrame),
    } as ServerOptions);
    if (this.pub && this.sub) {
      server.adapter(
        createShardedAdapter(this.pub, this.sub, {
          channelPrefix: `${this.config.redisKeyPrefix}socket.io`,
          subscriptionMode: SUBSCRIPTION_MODE,
        }),
      );
    }
    return server;
  }

  override async dispose(): Promise<void> {
    await Promise.all([this.pub, this.sub].map((client) => client?.quit().catch(() => client.disconnect())));
  }
}
