import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KyberPreKeyEntity, SignedPreKeyEntity } from '../keys/prekey.entity.js';
import { SocketEmitterModule } from '../realtime/socket-emitter.module.js';
import { RotationService } from './rotation.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([SignedPreKeyEntity, KyberPreKeyEntity]), SocketEmitterModule],
  providers: [RotationService],
  exports: [RotationService],
})
export class RotationModule {}
