import { HttpException } from '@nestjs/common';
import { AppError, CommonErrorCode, codeForStatus } from './app-error.js';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  correlationId?: string;
}

interface BodyParserError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/**
 * Maps anything thrown while handling a request to the public error body. Unknown errors become a
 * bare 500 so that no internal detail (or user input) leaks.
 */
export function toErrorBody(error: unknown, correlationId?: string): ErrorBody {
  if (error instanceof AppError) {
    return {
      statusCode: error.getStatus(),
      code: error.code,
      message: error.message,
      details: error.details,
      correlationId,
    };
  }
  if (error instanceof HttpException && error.cause) {
    const fromParser = parserErrorBody(error.cause, correlationId);
    if (fromParser) return fromParser;
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const raw =
      typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
    return { statusCode: status, code: codeForStatus(status), message, correlationId };
  }
  return (
    parserErrorBody(error, correlationId) ?? {
      statusCode: 500,
      code: CommonErrorCode.Internal,
      message: 'internal error',
      correlationId,
    }
  );
}

/** body-parser errors (http-errors with a `type`), raw or wrapped by Nest's express adapter. */
function parserErrorBody(error: unknown, correlationId?: string): ErrorBody | undefined {
  const parserError = error as BodyParserError;
  const status = parserError?.status ?? parserError?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500 || !parserError.type) return undefined;
  if (parserError.type === 'entity.parse.failed') {
    return {
      statusCode: 400,
      code: CommonErrorCode.MalformedJson,
      message: 'request body is not valid JSON',
      correlationId,
    };
  }
  if (parserError.type === 'entity.too.large') {
    return {
      statusCode: 413,
      code: CommonErrorCode.PayloadTooLarge,
      message: 'request body is too large',
      correlationId,
    };
  }
  return { statusCode: status, code: codeForStatus(status), message: 'bad request body', correlationId };
}
