import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DevicesModule } from './devices/devices.module.js';
import { HealthModule } from './health/health.module.js';
import { KeysModule } from './keys/keys.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MessagingModule } from './messaging/messaging.module.js';
import { PairingModule } from './pairing/pairing.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { ReceiptsModule } from './receipts/receipts.module.js';
import { RedisModule } from './redis/redis.module.js';
import { RotationModule } from './rotation/rotation.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        RedisModule,
        MetricsModule,
        HealthModule,
        UsersModule,
        DevicesModule,
        AuthModule,
        PairingModule,
        KeysModule,
        RotationModule,
        MessagingModule,
        ReceiptsModule,
        RealtimeModule,
      ],
    };
  }
}
