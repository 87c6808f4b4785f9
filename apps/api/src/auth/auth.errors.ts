import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../common/app-error.js';

export enum AuthErrorCode {
  InvalidCredentials = 'INVALID_CREDENTIALS',
  WeakPassword = 'WEAK_PASSWORD',
  Unauthorized = 'UNAUTHORIZED',
  RefreshTokenInvalid = 'REFRESH_TOKEN_INVALID',
  RefreshTokenReused = 'REFRESH_TOKEN_REUSED',
  RateLimited = 'RATE_LIMITED',
}

export const authError = defineErrors<AuthErrorCode>({
  [AuthErrorCode.InvalidCredentials]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.WeakPassword]: HttpStatus.BAD_REQUEST,
  [AuthErrorCode.Unauthorized]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.RefreshTokenInvalid]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.RefreshTokenReused]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
});
