/**
 * Error body of every failed REST call, and the error codes the foundation api answers with.
 * See .helpers/API-CONTRACT.md. Clients must tolerate codes they do not know (`code` is a
 * string on the wire): the list grows with every module.
 */

/** Error codes of the foundation (platform, auth, devices, pairing). */
export const REST_ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'FORBIDDEN',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  'WEAK_PASSWORD',
  'HANDLE_TAKEN',
  'INVALID_CREDENTIALS',
  'UNAUTHORIZED',
  'REFRESH_TOKEN_INVALID',
  'REFRESH_TOKEN_REUSED',
  'DEVICE_NOT_FOUND',
  'DEVICE_LIMIT_REACHED',
  'RATE_LIMITED',
  'USER_NOT_FOUND',
  'CANNOT_PAIR_WITH_SELF',
  'ALREADY_PAIRED',
  'REQUEST_EXISTS',
  'REQUEST_NOT_FOUND',
  'PAIR_NOT_FOUND',
  'NOT_FOUND',
  'INTERNAL_ERROR',
] as const;

export type RestErrorCode = (typeof REST_ERROR_CODES)[number];

/** `{ statusCode, code, message, correlationId }` (+ optional `details`), for every error. */
export interface ApiErrorDto {
  statusCode: number;
  /** One of {@link REST_ERROR_CODES}, or a newer code this build does not know yet. */
  code: RestErrorCode | (string & {});
  message: string;
  correlationId: string;
  details?: unknown;
}

export function isRestErrorCode(value: unknown): value is RestErrorCode {
  return typeof value === 'string' && (REST_ERROR_CODES as readonly string[]).includes(value);
}
