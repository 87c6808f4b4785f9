import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module.js';
import { BlockEntity } from './block.entity.js';
import { PairRequestEntity } from './pair-request.entity.js';
import { PairEntity } from './pair.entity.js';
import { PairingController } from './pairing.controller.js';
import { PairingService } from './pairing.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([PairRequestEntity, PairEntity, BlockEntity]), UsersModule],
  controllers: [PairingController],
  providers: [PairingService],
  exports: [PairingService],
})
export class PairingModule {}
