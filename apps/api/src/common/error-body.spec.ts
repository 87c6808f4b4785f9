import { BadRequestException, HttpStatus, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { AppError } from './app-error.js';
import { toErrorBody } from './error-body.js';

describe(toErrorBody.name, () => {
  it('keeps an AppError code, status and details', () => {
    const body = toErrorBody(new AppError('HANDLE_TAKEN', HttpStatus.CONFLICT, 'taken', { field: 'handle' }), 'c1');
    expect(body).toEqual({
      statusCode: 409,
      code: 'HANDLE_TAKEN',
      message: 'taken',
      details: { field: 'handle' },
      correlationId: 'c1',
    });
  });

  it('gives framework exceptions a code from their status', () => {
    expect(toErrorBody(new NotFoundException('Cannot GET /x'))).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect(toErrorBody(new BadRequestException(['a must be a string', 'b is bad']))).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'a must be a string; b is bad',
    });
  });

  it('maps body-parser failures to 400 and 413', () => {
    expect(
      toErrorBody(new BadRequestException('x', { cause: { status: 400, type: 'entity.parse.failed' } })),
    ).toMatchObject({ statusCode: 400, code: 'MALFORMED_JSON' });
    expect(toErrorBody({ status: 413, expose: true, type: 'entity.too.large' })).toMatchObject({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('hides the detail of unexpected errors', () => {
    const body = toErrorBody(new Error('password=hunter2 leaked'));
    expect(body).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: 'internal error',
      correlationId: undefined,
    });
  });
});
