import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';
import { DevicesModule } from '../devices/devices.module.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { PairingModule } from '../pairing/pairing.module.js';
import { PresenceService } from './presence.service.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { SocketEmitterModule } from './socket-emitter.module.js';

@Module({
  imports: [
    // Verifies access tokens exactly as the HTTP JWT strategy does (same secret, HS256 only).
    JwtModule.registerAsync({
      inject: [AppConfig],
      // A KeyObject: given a string, jsonwebtoken first tries (and fails) to parse it as a public key
      // on every verify, which was most of a handshake's CPU.
      useFactory: (config: AppConfig) => ({
        secret: createSecretKey(Buffer.from(config.jwtSecret)) as unknown as string,
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
    DevicesModule,
    PairingModule,
    MessagingModule,
    SocketEmitterModule,
  ],
  providers: [RealtimeGateway, PresenceService],
})
export class RealtimeModule {}
