import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { createValidationPipe } from '../common/validation.js';
import type { UserEntity } from '../users/user.entity.js';
import { authError, AuthErrorCode } from './auth.errors.js';
import { AuthService } from './auth.service.js';
import { SessionLoginRequestDto } from './dto/session-login-request.dto.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import { runStrategy } from './passport-runner.js';

/** Handle + password, checked with argon2; a success gives back its rate-limit points. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(
    private readonly auth: AuthService,
    private readonly limiter: LoginRateLimiter,
  ) {
    super({ usernameField: 'handle', passwordField: 'password', passReqToCallback: true });
  }

  async validate(request: Request, handle: string, password: string): Promise<UserEntity> {
    const user = await this.auth.verifyCredentials(handle, password);
    await this.limiter.reward(request.ip ?? 'unknown', handle);
    return user;
  }
}

/**
 * Runs this app's local strategy on a body that already passed validation (guards run before pipes,
 * and a malformed login must be a 400, not a 401).
 */
@Injectable()
export class LocalAuthGuard implements CanActivate {
  private readonly validation = createValidationPipe();

  constructor(private readonly strategy: LocalStrategy) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { user?: UserEntity }>();
    request.body = await this.validation.transform(request.body, { type: 'body', metatype: SessionLoginRequestDto });
    const { user } = await runStrategy(this.strategy, request);
    if (!user) throw authError(AuthErrorCode.InvalidCredentials, 'wrong handle or password');
    request.user = user as UserEntity;
    return true;
  }
}

/** The user the local strategy verified. */
export const VerifiedUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): UserEntity => {
  return ctx.switchToHttp().getRequest<{ user: UserEntity }>().user;
});
