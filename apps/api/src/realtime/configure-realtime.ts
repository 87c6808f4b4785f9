import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { RealtimeIoAdapter } from './realtime-io.adapter.js';

/** Installs the Socket.IO adapter (Redis-backed with REDIS_URL); call before `app.init()`. */
export async function configureRealtime(app: INestApplication, config: AppConfig): Promise<void> {
  const adapter = new RealtimeIoAdapter(app, config);
  await adapter.connect();
  app.useWebSocketAdapter(adapter);
}
