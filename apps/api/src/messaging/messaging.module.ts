import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DevicesModule } from '../devices/devices.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { PairingModule } from '../pairing/pairing.module.js';
import { SocketEmitterModule } from '../realtime/socket-emitter.module.js';
import { EnvelopeEntity } from './envelope.entity.js';
import { MessageEntity } from './message.entity.js';
import { MessagingService } from './messaging.service.js';
import { SendRateLimiter } from './send-rate-limiter.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([MessageEntity, EnvelopeEntity]),
    DevicesModule,
    KeysModule,
    PairingModule,
    SocketEmitterModule,
  ],
  providers: [MessagingService, SendRateLimiter],
  exports: [MessagingService, SendRateLimiter],
})
export class MessagingModule {}
