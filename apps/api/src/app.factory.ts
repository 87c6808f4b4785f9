import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type Response } from 'express';
import { MAX_KEYS_UPLOAD_BYTES } from '@pairchat/keys';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { createValidationPipe } from './common/validation.js';
import { AppConfig } from './config/app-config.js';
import { createLogger, PinoNestLogger, requestLogger } from './logging/logger.js';
import { metricsMiddleware } from './metrics/metrics.middleware.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupOpenApi } from './openapi.js';
import { configureRealtime } from './realtime/configure-realtime.js';

export interface CreatedApp {
  app: NestExpressApplication;
  logger: Logger;
}

/** Builds the fully configured api (used by main.ts and by every e2e test). */
export async function createApp(
  config: AppConfig,
  logger: Logger = createLogger(config.logLevel),
): Promise<CreatedApp> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  if (config.trustProxy) app.set('trust proxy', 1);
  app.disable('x-powered-by');
  app.use(requestLogger(logger));
  app.use(metricsMiddleware(app.get(MetricsService)));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // The web client and Swagger UI load only same-origin scripts; QR codes are data: images.
          'script-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
        },
      },
    }),
  );
  // Key uploads carry up to 101 Kyber public keys (~235 KB); every other body stays small.
  app.use('/keys', json({ limit: MAX_KEYS_UPLOAD_BYTES, strict: true }));
  app.useBodyParser('json', { limit: config.bodyLimitBytes, strict: true });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(logger));
  app.enableShutdownHooks();
  setupOpenApi(app);
  serveWebApp(app, config.webDistDir);
  await configureRealtime(app, config);
  await app.init();
  return { app, logger };
}

/**
 * Serves the built web client at `/`. Browser navigations (Accept: text/html) to client routes get
 * index.html; API calls to the same paths (Accept: application/json) reach the controllers.
 */
function serveWebApp(app: NestExpressApplication, distDir: string): void {
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) return;
  app.useStaticAssets(distDir, {
    index: false,
    maxAge: '1h',
    setHeaders: (res, path) => {
      if (path.includes(`${join(distDir, 'assets')}`))
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    },
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const wantsHtml = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
    if (!wantsHtml || req.path.startsWith('/api/') || req.path.startsWith('/socket.io')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
