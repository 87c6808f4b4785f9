import { createApp } from './app.factory.js';
import { AppConfig } from './config/app-config.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(78); // EX_CONFIG
  }
  const { app, logger } = await createApp(config);
  await app.listen(config.port, config.host);
  const where = config.database.type === 'sqlite' ? `SQLite ${config.database.path}` : 'MySQL';
  logger.info(
    `Pairchat api listening on http://localhost:${config.port} (${where}${config.redisUrl ? ', Redis' : ''})`,
  );
}

void main();
