import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiErrorResponses, BEARER_ERRORS } from '../common/api-error-response.dto.js';
import type { AuthContext } from './auth-context.js';
import { authError, AuthErrorCode } from './auth.errors.js';
import { JwtStrategy } from './jwt.strategy.js';
import { runStrategy } from './passport-runner.js';

/** Runs this app's JWT strategy; sets `request.user` to the {@link AuthContext}. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private strategy?: JwtStrategy;

  constructor(private readonly moduleRef: ModuleRef) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { user?: AuthContext }>();
    this.strategy ??= this.moduleRef.get(JwtStrategy, { strict: false });
    const { user, info } = await runStrategy(this.strategy, request);
    if (!user) {
      const expired = (info as { name?: string } | undefined)?.name === 'TokenExpiredError';
      throw authError(AuthErrorCode.Unauthorized, expired ? 'access token expired' : 'missing or invalid access token');
    }
    request.user = user as AuthContext;
    return true;
  }
}

/** Requires a valid access token of an active device; documents it in OpenAPI. */
export function Authenticated() {
  return applyDecorators(UseGuards(JwtAuthGuard), ApiBearerAuth('access-token'), ApiErrorResponses(BEARER_ERRORS));
}
