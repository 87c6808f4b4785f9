import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { DevicesModule } from '../devices/devices.module.js';
import { SocketEmitterModule } from '../realtime/socket-emitter.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LocalStrategy } from './local.strategy.js';
import { LoginRateLimiter, LoginRateLimitGuard, RegisterRateLimitGuard } from './login-rate-limiter.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([RefreshTokenEntity]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: config.jwtSecret, signOptions: { algorithm: 'HS256' } }),
    }),
    UsersModule,
    DevicesModule,
    SocketEmitterModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, LocalStrategy, JwtStrategy, LoginRateLimiter, LoginRateLimitGuard, RegisterRateLimitGuard],
  exports: [AuthService],
})
export class AuthModule {}
