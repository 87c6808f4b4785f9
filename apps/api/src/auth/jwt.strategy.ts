import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { DevicesService } from '../devices/devices.service.js';
import type { AccessTokenClaims, AuthContext } from './auth-context.js';

/**
 * Verifies the access token, then asks the database whether its device is still active: revoking a
 * device takes effect on the next request, not when the token expires.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly devices: DevicesService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(claims: Partial<AccessTokenClaims>): Promise<AuthContext | false> {
    if (typeof claims.sub !== 'string' || typeof claims.did !== 'string') return false;
    if (claims.gen !== undefined && typeof claims.gen !== 'number') return false;
    const active = await this.devices.authenticate(claims.sub, claims.did, new Date(), claims.gen ?? 0);
    return active ? { userId: claims.sub, deviceId: claims.did } : false;
  }
}
