import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** Who is calling: set on the request by the JWT strategy once the device is known to be active. */
export interface AuthContext {
  userId: string;
  deviceId: string;
}

/** Claims of an access token. */
export interface AccessTokenClaims {
  sub: string;
  did: string;
  jti: string;
  /** The device's session generation at issue (see DeviceEntity.sessionGeneration); absent means 0. */
  gen?: number;
  iat: number;
  exp: number;
}

/** The authenticated caller of a handler guarded by {@link JwtAuthGuard}. */
export const CurrentAuth = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthContext => {
  return ctx.switchToHttp().getRequest<{ user: AuthContext }>().user;
});
