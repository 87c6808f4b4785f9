import type { JwtService } from '@nestjs/jwt';
import type { HandshakeErrorCode } from '@pairchat/messaging';
import type { AccessTokenClaims, AuthContext } from '../auth/auth-context.js';
import type { DevicesService } from '../devices/devices.service.js';

/** A refused handshake; Socket.IO hands `data` to the client's `connect_error`. */
export class HandshakeError extends Error {
  readonly data: { code: HandshakeErrorCode };

  constructor(code: HandshakeErrorCode) {
    super('unauthorized');
    this.data = { code };
  }
}

/** An accepted handshake: who connected, and until when their token is good. */
export interface SocketSession {
  auth: AuthContext;
  /** Expiry of the access token, epoch ms: the socket is closed then (TOKEN_EXPIRED). */
  expiresAt: number;
}

/**
 * The socket's twin of the HTTP JWT strategy (auth/jwt.strategy.ts): the same secret, algorithm and
 * expiry check, then the same question to DevicesService, so a revoked device cannot connect.
 * @throws HandshakeError TOKEN_MISSING, TOKEN_EXPIRED, TOKEN_INVALID, SESSION_ENDED or DEVICE_REVOKED
 */
export async function verifyAccessToken(
  jwt: JwtService,
  devices: DevicesService,
  token: unknown,
): Promise<SocketSession> {
  if (typeof token !== 'string' || token.length === 0) throw new HandshakeError('TOKEN_MISSING');
  let claims: Partial<AccessTokenClaims>;
  try {
    claims = await jwt.verifyAsync<Partial<AccessTokenClaims>>(token, { algorithms: ['HS256'] });
  } catch (error) {
    throw new HandshakeError((error as Error).name === 'TokenExpiredError' ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID');
  }
  // Our tokens always carry exp; one without it would keep a socket open for ever.
  if (typeof claims.sub !== 'string' || typeof claims.did !== 'string' || typeof claims.exp !== 'number')
    throw new HandshakeError('TOKEN_INVALID');
  if (claims.gen !== undefined && typeof claims.gen !== 'number') throw new HandshakeError('TOKEN_INVALID');
  // Both are final for this token; only an ended session (logout, refresh-token reuse) may sign in
  // again on the same device.
  const state = await devices.sessionState(claims.sub, claims.did, new Date(), claims.gen ?? 0);
  if (state === 'revoked') throw new HandshakeError('DEVICE_REVOKED');
  if (state === 'ended') throw new HandshakeError('SESSION_ENDED');
  return { auth: { userId: claims.sub, deviceId: claims.did }, expiresAt: claims.exp * 1000 };
}
