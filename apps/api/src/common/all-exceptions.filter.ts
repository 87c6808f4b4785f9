import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { toErrorBody } from './error-body.js';
import { loggableError } from './loggable-error.js';

/** Answers every HTTP error as `{ statusCode, code, message, details?, correlationId }`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string }>();
    const response = http.getResponse<Response>();
    const body = toErrorBody(exception, request.id);
    if (body.statusCode >= 500)
      this.logger.error({ err: loggableError(exception), reqId: request.id }, 'unhandled error');
    if (!response.headersSent) response.status(body.statusCode).json(body);
  }
}
