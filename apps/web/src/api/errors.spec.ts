import { describe, expect, it } from 'vitest';
import { ApiError, describeError } from './errors.js';

describe(describeError.name, () => {
  it.each([
    ['INVALID_CREDENTIALS', 401, 'Handle or password is wrong.'],
    ['HANDLE_TAKEN', 409, 'That handle is taken. Try another one.'],
    ['USER_NOT_FOUND', 404, 'Nobody has that handle.'],
    ['ALREADY_PAIRED', 409, 'You are already paired with that person.'],
    ['NETWORK_ERROR', 0, 'Cannot reach Pairchat. Check your connection and try again.'],
  ])('maps %s to a friendly sentence', (code, status, text) => {
    expect(describeError(new ApiError(status, code, 'server text'))).toBe(text);
  });

  it('never shows the server message for a known code', () => {
    expect(describeError(new ApiError(400, 'VALIDATION_FAILED', 'handle must match /^[a-z]/'))).not.toContain(
      '/^[a-z]/',
    );
  });

  it('falls back on the status for an unknown code', () => {
    expect(describeError(new ApiError(503, 'SOMETHING_NEW', 'x'))).toBe(
      'Something went wrong on our side. Please try again.',
    );
    expect(describeError(new ApiError(418, 'SOMETHING_NEW', 'x'))).toBe('That did not work. Please try again.');
  });

  it('says how long to wait when the server sent Retry-After', () => {
    expect(describeError(new ApiError(429, 'RATE_LIMITED', 'x', undefined, undefined, 30))).toBe(
      'Too many attempts. Try again in 30 seconds.',
    );
  });

  it('names the broken password rule from details.reason', () => {
    expect(describeError(new ApiError(400, 'WEAK_PASSWORD', 'x', 'c', { reason: 'SAME_AS_HANDLE' }))).toBe(
      'Do not use your handle as password.',
    );
    expect(describeError(new ApiError(400, 'WEAK_PASSWORD', 'x', 'c', { reason: 'SOMETHING_ELSE' }))).toMatch(
      /too weak/,
    );
  });

  it('handles errors that are not api errors', () => {
    expect(describeError(new Error('boom'))).toBe('Something went wrong. Please try again.');
  });
});
