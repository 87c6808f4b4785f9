import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import {
  checkPassword,
  DEFAULT_DEVICE_NAME,
  normalizeHandle,
  type LoginRequestDto,
  type MeDto,
  type PasswordProblem,
  type RegisterRequestDto,
  type SessionDto,
  type UserDto,
} from '@pairchat/messaging';
import * as argon2 from 'argon2';
import type { Counter } from 'prom-client';
import { EntityManager, IsNull, LessThan, Repository } from 'typeorm';
import { loggableError } from '../common/loggable-error.js';
import { AppConfig } from '../config/app-config.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { DevicesService } from '../devices/devices.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { AccessTokenClaims, AuthContext } from './auth-context.js';
import { authError, AuthErrorCode } from './auth.errors.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';

/** argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane): ~50 ms per hash on one core. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** Refresh tokens are 32 random bytes, base64url. */
const REFRESH_TOKEN_BYTES = 32;
/** How often each api process deletes refresh tokens past their expiry. */
const REFRESH_TOKEN_PURGE_MS = 3_600_000;

const PASSWORD_PROBLEM_TEXT: Record<PasswordProblem, string> = {
  TOO_SHORT: 'password must be at least 10 characters',
  TOO_LONG: 'password must be at most 128 characters',
  SAME_AS_HANDLE: 'password must not be the handle',
  ONE_CHARACTER: 'password must not be one repeated character',
};

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

@Injectable()
export class AuthService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AuthService');
  private dummyHash?: Promise<string>;
  private purgeTimer: ReturnType<typeof setInterval> | undefined;
  private readonly registrations: Counter;
  private readonly logins: Counter<'result'>;
  private readonly reuses: Counter;

  constructor(
    private readonly users: UsersService,
    private readonly devices: DevicesService,
    @InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    metrics: MetricsService,
    private readonly emitter: SocketEmitter,
  ) {
    this.registrations = metrics.counter('pairchat_auth_registrations_total', 'Accounts created');
    this.logins = metrics.counter('pairchat_auth_logins_total', 'Login attempts by result', ['result'] as const);
    this.reuses = metrics.counter('pairchat_auth_refresh_token_reuse_total', 'Spent refresh tokens presented again');
  }

  onModuleInit(): void {
    this.devices.onRevoke((manager, device) => this.revokeDeviceTokens(device.id, manager));
    this.purgeTimer = setInterval(
      () =>
        void this.purgeRefreshTokens().catch((error: unknown) =>
          this.logger.warn(`refresh-token purge failed: ${JSON.stringify(loggableError(error))}`),
        ),
      REFRESH_TOKEN_PURGE_MS,
    );
    this.purgeTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.purgeTimer);
  }

  /**
   * Retention: deletes refresh tokens past their expiry, spent and revoked ones included (until
   * then they are kept, so a spent token presented again is still caught as reuse).
   * @returns how many were deleted
   */
  async purgeRefreshTokens(now = new Date()): Promise<number> {
    const result = await this.tokens.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }

  /**
   * @throws WEAK_PASSWORD when the password breaks the shared rules (details.reason names the rule)
   * @throws HANDLE_TAKEN
   */
  async register(request: RegisterRequestDto): Promise<UserDto> {
    const handle = normalizeHandle(request.handle);
    const problem = checkPassword(request.password, handle);
    if (problem) throw authError(AuthErrorCode.WeakPassword, PASSWORD_PROBLEM_TEXT[problem], { reason: problem });
    const passwordHash = await argon2.hash(request.password, ARGON2_OPTIONS);
    const user = await this.users.create(handle, passwordHash);
    this.registrations.inc();
    return this.users.toDto(user);
  }

  /**
   * The local strategy's check. Unknown handles cost an argon2 verify too, so timing does not tell
   * whether a handle exists.
   * @throws INVALID_CREDENTIALS for an unknown handle and a wrong password alike
   */
  async verifyCredentials(handle: string, password: string): Promise<UserEntity> {
    const user = await this.users.findByHandle(handle);
    const hash = user?.passwordHash ?? (await this.getDummyHash());
    const matches = await argon2.verify(hash, password).catch(() => false);
    if (!user || !matches) {
      this.logins.inc({ result: 'invalid_credentials' });
      throw authError(AuthErrorCode.InvalidCredentials, 'wrong handle or password');
    }
    return user;
  }

  /**
   * Starts a session for a verified user: on a new device, or on the given device of theirs (whose
   * earlier refresh tokens are revoked: a device holds one session).
   * @throws DEVICE_NOT_FOUND, DEVICE_LIMIT_REACHED
   */
  async login(user: UserEntity, request: Omit<LoginRequestDto, 'handle' | 'password'>): Promise<SessionDto> {
    let device: DeviceEntity;
    if (request.deviceId) {
      device = await this.devices.findOwned(user.id, request.deviceId);
      await this.revokeDeviceTokens(device.id);
      if (request.registrationId !== undefined && request.registrationId !== device.registrationId) {
        await this.devices.update(user.id, device.id, device.id, { registrationId: request.registrationId });
        device.registrationId = request.registrationId;
      }
    } else {
      device = await this.devices.create(
        user.id,
        request.deviceName ?? DEFAULT_DEVICE_NAME,
        request.registrationId ?? null,
      );
    }
    const { token, entity } = this.newRefreshToken(user.id, device.id, randomUUID());
    await this.tokens.insert(entity);
    this.logins.inc({ result: 'ok' });
    return this.session(user, device, token);
  }

  /**
   * Exchanges a refresh token for a new session. The presented token is spent atomically, so of two
   * concurrent uses only one wins and the other counts as reuse.
   * @throws REFRESH_TOKEN_INVALID for an unknown, expired or revoked token, or a revoked device
   * @throws REFRESH_TOKEN_REUSED for a spent token; the whole family is revoked
   */
  async refresh(refreshToken: string): Promise<SessionDto> {
    const stored = await this.tokens.findOneBy({ tokenHash: hashRefreshToken(refreshToken) });
    if (!stored) throw this.invalidRefreshToken();
    if (stored.replacedBy) throw await this.reused(stored);
    if (stored.revokedAt || stored.expiresAt.getTime() <= Date.now()) throw this.invalidRefreshToken();
    const user = await this.users.findById(stored.userId);
    const device = user ? await this.devices.findOwned(user.id, stored.deviceId).catch(() => null) : null;
    if (!user || !device) throw this.invalidRefreshToken();

    const next = this.newRefreshToken(user.id, device.id, stored.familyId);
    const rotated = await this.tokens.manager.transaction(async (manager) => {
      const spent = await manager.update(
        RefreshTokenEntity,
        { id: stored.id, replacedBy: IsNull(), revokedAt: IsNull() },
        { replacedBy: next.entity.id },
      );
      if (!spent.affected) return false;
      await manager.insert(RefreshTokenEntity, next.entity);
      return true;
    });
    if (!rotated) {
      const now = await this.tokens.findOneBy({ id: stored.id });
      throw now?.replacedBy ? await this.reused(now) : this.invalidRefreshToken();
    }
    return this.session(user, device, next.token);
  }

  /**
   * Ends the device's session: its refresh tokens are revoked and its sockets closed (on every node);
   * the device stays registered.
   */
  async logout(auth: AuthContext): Promise<void> {
    await this.revokeDeviceTokens(auth.deviceId);
    await this.endSessions(auth.deviceId);
  }

  async me(auth: AuthContext): Promise<MeDto> {
    const [user, device] = await Promise.all([
      this.users.getById(auth.userId),
      this.devices.findOwned(auth.userId, auth.deviceId),
    ]);
    return { ...this.users.toDto(user), device: this.devices.toDto(device, auth.deviceId) };
  }

  private async session(user: UserEntity, device: DeviceEntity, refreshToken: string): Promise<SessionDto> {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.config.accessTokenTtlSeconds;
    const gen = device.sessionGeneration ?? 0;
    const claims: AccessTokenClaims = { sub: user.id, did: device.id, jti: randomUUID(), gen, iat, exp };
    const accessToken = await this.jwt.signAsync(claims);
    return {
      accessToken,
      accessTokenExpiresAt: new Date(exp * 1000).toISOString(),
      refreshToken,
      user: this.users.toDto(user),
      device: this.devices.toDto(device, device.id),
    };
  }

  private newRefreshToken(userId: string, deviceId: string, familyId: string) {
    const token = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
    const now = new Date();
    const entity = this.tokens.create({
      id: randomUUID(),
      userId,
      deviceId,
      familyId,
      tokenHash: hashRefreshToken(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlSeconds * 1000),
      revokedAt: null,
      replacedBy: null,
    });
    return { token, entity };
  }

  /**
   * Its access tokens stop authenticating (HTTP and handshake), then its sockets are closed: a
   * client reconnecting with the same token is refused.
   */
  private async endSessions(deviceId: string): Promise<void> {
    await this.devices.endSessions(deviceId);
    this.emitter.disconnectDevice(deviceId, { code: 'UNAUTHORIZED', message: 'the session ended; log in again' });
  }

  private async reused(token: RefreshTokenEntity) {
    await this.tokens.update({ familyId: token.familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
    await this.endSessions(token.deviceId);
    this.reuses.inc();
    return authError(
      AuthErrorCode.RefreshTokenReused,
      'this refresh token was already used; the session is revoked, log in again',
    );
  }

  private async revokeDeviceTokens(deviceId: string, manager: EntityManager = this.tokens.manager): Promise<void> {
    await manager.update(RefreshTokenEntity, { deviceId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  private invalidRefreshToken() {
    return authError(AuthErrorCode.RefreshTokenInvalid, 'refresh token is invalid or expired; log in again');
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= argon2.hash(randomBytes(32), ARGON2_OPTIONS);
    return this.dummyHash;
  }
}
