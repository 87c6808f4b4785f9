import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DevicesModule } from '../devices/devices.module.js';
import { PairingModule } from '../pairing/pairing.module.js';
import { SocketEmitterModule } from '../realtime/socket-emitter.module.js';
import { KeyFetchRateLimiter } from './fetch-rate-limiter.js';
import { KeysController } from './keys.controller.js';
import { KeysRepository } from './keys.repository.js';
import { KeysService } from './keys.service.js';
import {
  DeviceKeysEntity,
  EcPreKeyEntity,
  IdentityKeyEntity,
  KyberPreKeyEntity,
  SignedPreKeyEntity,
} from './prekey.entity.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      IdentityKeyEntity,
      DeviceKeysEntity,
      SignedPreKeyEntity,
      KyberPreKeyEntity,
      EcPreKeyEntity,
    ]),
    DevicesModule,
    PairingModule,
    SocketEmitterModule,
  ],
  controllers: [KeysController],
  providers: [KeysService, KeysRepository, KeyFetchRateLimiter],
  exports: [KeysService],
})
export class KeysModule {}
