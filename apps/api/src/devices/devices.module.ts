import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SocketEmitterModule } from '../realtime/socket-emitter.module.js';
import { DeviceLinkEntity } from './device-link.entity.js';
import { DeviceLinkRateLimiter } from './device-link-rate-limiter.js';
import { DeviceLinksController } from './device-links.controller.js';
import { DeviceLinksService } from './device-links.service.js';
import { DeviceEntity } from './device.entity.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([DeviceEntity, DeviceLinkEntity]), SocketEmitterModule],
  controllers: [DeviceLinksController, DevicesController],
  providers: [DevicesService, DeviceLinksService, DeviceLinkRateLimiter],
  exports: [DevicesService],
})
export class DevicesModule {}
