import type { ApiErrorDto, PasswordProblem, RestErrorCode } from '@pairchat/messaging';

/** Codes the client itself produces when no `{ code }` body came back. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'BAD_RESPONSE';

/** A failed API call: the server's `{ code, message }` body, or a client-side code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status, 0 when the request never got an answer. */
    readonly status: number,
    readonly code: RestErrorCode | ClientErrorCode | (string & {}),
    message: string,
    readonly correlationId?: string,
    readonly details?: unknown,
    /** From a `Retry-After` header (seconds), when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  static fromBody(status: number, body: Partial<ApiErrorDto> | null, retryAfterSeconds?: number): ApiError {
    if (body && typeof body.code === 'string') {
      return new ApiError(
        status,
        body.code,
        body.message ?? body.code,
        body.correlationId,
        body.details,
        retryAfterSeconds,
      );
    }
    return new ApiError(
      status,
      'BAD_RESPONSE',
      `Unexpected answer (HTTP ${status})`,
      undefined,
      undefined,
      retryAfterSeconds,
    );
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

const FRIENDLY: Record<RestErrorCode | ClientErrorCode, string> = {
  VALIDATION_FAILED: 'Some of the details are not valid. Check the form and try again.',
  MALFORMED_JSON: 'Pairchat could not read that request. Please reload the page and try again.',
  PAYLOAD_TOO_LARGE: 'That is too large to send.',
  UNSUPPORTED_MEDIA_TYPE: 'Pairchat could not read that request. Please reload the page and try again.',
  FORBIDDEN: 'You are not allowed to do that.',
  METHOD_NOT_ALLOWED: 'That action is not available.',
  CONFLICT: 'That changed in the meantime. Reload and try again.',
  SERVICE_UNAVAILABLE: 'Pairchat is busy or under maintenance. Please try again shortly.',
  WEAK_PASSWORD: 'That password is too weak. Use at least 10 characters that are not your handle.',
  HANDLE_TAKEN: 'That handle is taken. Try another one.',
  INVALID_CREDENTIALS: 'Handle or password is wrong.',
  UNAUTHORIZED: 'Your session has ended. Please sign in again.',
  REFRESH_TOKEN_INVALID: 'Your session has ended. Please sign in again.',
  REFRESH_TOKEN_REUSED: 'You were signed out because this session was used somewhere else. Please sign in again.',
  DEVICE_NOT_FOUND: 'That device no longer exists.',
  DEVICE_LIMIT_REACHED:
    'This account has reached its device limit. Sign in on a device you already use and remove an old one under Devices.',
  RATE_LIMITED: 'Too many attempts. Wait a moment and try again.',
  USER_NOT_FOUND: 'Nobody has that handle.',
  CANNOT_PAIR_WITH_SELF: 'You cannot pair with yourself.',
  ALREADY_PAIRED: 'You are already paired with that person.',
  REQUEST_EXISTS: 'You already asked that person to pair.',
  REQUEST_NOT_FOUND: 'That pair request is no longer open.',
  PAIR_NOT_FOUND: 'That pair no longer exists.',
  NOT_FOUND: 'That was not found.',
  INTERNAL_ERROR: 'Something went wrong on our side. Please try again.',
  NETWORK_ERROR: 'Cannot reach Pairchat. Check your connection and try again.',
  BAD_RESPONSE: 'Pairchat answered in an unexpected way. Please try again.',
};

const WEAK_PASSWORD: Record<PasswordProblem, string> = {
  TOO_SHORT: 'That password is too short.',
  TOO_LONG: 'That password is too long.',
  SAME_AS_HANDLE: 'Do not use your handle as password.',
  ONE_CHARACTER: 'Do not use a single repeated character as password.',
};

/** A sentence for the user. Never echoes user input; falls back on the status for unknown codes. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (error.code === 'WEAK_PASSWORD') {
    const reason = (error.details as { reason?: unknown } | undefined)?.reason;
    if (typeof reason === 'string' && reason in WEAK_PASSWORD) return WEAK_PASSWORD[reason as PasswordProblem];
  }
  if (error.code === 'RATE_LIMITED' && error.retryAfterSeconds) {
    return `Too many attempts. Try again in ${error.retryAfterSeconds} seconds.`;
  }
  const known = FRIENDLY[error.code as RestErrorCode | ClientErrorCode];
  if (known) return known;
  if (error.status >= 500) return FRIENDLY.INTERNAL_ERROR;
  if (error.status === 401) return FRIENDLY.UNAUTHORIZED;
  if (error.status === 404) return FRIENDLY.NOT_FOUND;
  return 'That did not work. Please try again.';
}
