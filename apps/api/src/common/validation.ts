import { Injectable, ParseUUIDPipe, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { commonError, CommonErrorCode } from './app-error.js';

export interface FieldProblems {
  field: string;
  problems: string[];
}

function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblems[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * The api's one validation pipe: unknown fields are rejected, payloads become DTO instances and
 * every failure is a 400 VALIDATION_FAILED naming the fields in `details.fields`. Used globally and
 * by guards that must read a validated body before the handler runs (login).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = flattenValidationErrors(errors);
      const message = fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ');
      return commonError(CommonErrorCode.ValidationFailed, message || 'invalid request', { fields });
    },
  });
}

/** `:id` path parameters: a malformed UUID is a 400 VALIDATION_FAILED, never a lookup. */
export function uuidParam(field = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      commonError(CommonErrorCode.ValidationFailed, `${field}: must be a UUID`, {
        fields: [{ field, problems: ['must be a UUID'] }],
      }),
  });
}

/**
 * For handlers whose body must be an empty object (or absent). Runs after the global pipe, which has
 * already rejected unknown fields; this one rejects what is not an object at all (arrays, scalars).
 */
@Injectable()
export class EmptyObjectBodyPipe implements PipeTransform {
  transform(value: unknown): Record<string, never> {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (value === undefined || (isObject && Object.keys(value).length === 0)) return {};
    throw commonError(CommonErrorCode.ValidationFailed, 'body: must be an empty object', {
      fields: [{ field: 'body', problems: ['must be an empty object'] }],
    });
  }
}
