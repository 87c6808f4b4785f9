import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * An error with a stable string code. Each module declares its codes as an enum and maps every one
 * to an HTTP status with {@link defineErrors}; a code without a status fails to compile.
 */
export class AppError extends HttpException {
  constructor(
    readonly code: string,
    status: HttpStatus,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super({ code, message, details }, status);
  }
}

/** Builds a module's error factory from its exhaustive code -> status table. */
export function defineErrors<Code extends string>(statusByCode: Record<Code, HttpStatus>) {
  return (code: Code, message: string, details?: Record<string, unknown>): AppError =>
    new AppError(code, statusByCode[code], message, details);
}

/** Codes the platform itself answers with (validation, routing, limits). */
export enum CommonErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  MalformedJson = 'MALFORMED_JSON',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  Conflict = 'CONFLICT',
  RateLimited = 'RATE_LIMITED',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  Internal = 'INTERNAL_ERROR',
}

export const commonError = defineErrors<CommonErrorCode>({
  [CommonErrorCode.ValidationFailed]: HttpStatus.BAD_REQUEST,
  [CommonErrorCode.MalformedJson]: HttpStatus.BAD_REQUEST,
  [CommonErrorCode.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [CommonErrorCode.UnsupportedMediaType]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [CommonErrorCode.Unauthorized]: HttpStatus.UNAUTHORIZED,
  [CommonErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [CommonErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [CommonErrorCode.MethodNotAllowed]: HttpStatus.METHOD_NOT_ALLOWED,
  [CommonErrorCode.Conflict]: HttpStatus.CONFLICT,
  [CommonErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [CommonErrorCode.ServiceUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [CommonErrorCode.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
});

/** Code used when a framework HttpException (no code of its own) reaches the filter. */
export function codeForStatus(status: number): CommonErrorCode {
  switch (status) {
    case 400:
      return CommonErrorCode.ValidationFailed;
    case 401:
      return CommonErrorCode.Unauthorized;
    case 403:
      return CommonErrorCode.Forbidden;
    case 404:
      return CommonErrorCode.NotFound;
    case 405:
      return CommonErrorCode.MethodNotAllowed;
    case 409:
      return CommonErrorCode.Conflict;
    case 413:
      return CommonErrorCode.PayloadTooLarge;
    case 415:
      return CommonErrorCode.UnsupportedMediaType;
    case 429:
      return CommonErrorCode.RateLimited;
    case 503:
      return CommonErrorCode.ServiceUnavailable;
    default:
      return status >= 500 ? CommonErrorCode.Internal : CommonErrorCode.ValidationFailed;
  }
}
