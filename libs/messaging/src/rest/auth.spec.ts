import { describe, expect, it } from '@jest/globals';
import { checkHandle, checkPassword, HANDLE_PATTERN, normalizeHandle } from './auth.js';

describe(checkHandle.name, () => {
  it.each([
    ['abc', null],
    ['alice.b_2', null],
    ['a'.repeat(32), null],
    ['ab', 'TOO_SHORT'],
    ['a'.repeat(33), 'TOO_LONG'],
    ['1abc', 'MUST_START_WITH_LETTER'],
    ['_abc', 'MUST_START_WITH_LETTER'],
    ['ab-c', 'INVALID_CHARACTERS'],
    ['abc d', 'INVALID_CHARACTERS'],
    ['Abc', 'MUST_START_WITH_LETTER'],
    ['abé', 'INVALID_CHARACTERS'],
  ])('checks %j as %j', (handle, problem) => {
    expect(checkHandle(handle)).toBe(problem);
    expect(HANDLE_PATTERN.test(handle)).toBe(problem === null);
  });

  it('accepts an uppercase handle once it is normalized', () => {
    expect(checkHandle(normalizeHandle('Alice'))).toBeNull();
  });
});

describe(checkPassword.name, () => {
  it.each([
    ['correct horse', 'alice', null],
    ['🔑'.repeat(9) + 'x', 'alice', null],
    ['short', 'alice', 'TOO_SHORT'],
    ['🔑'.repeat(9), 'alice', 'TOO_SHORT'],
    ['x'.repeat(128) + 'y', 'alice', 'TOO_LONG'],
    ['longhandle', 'longhandle', 'SAME_AS_HANDLE'],
    ['LongHandle', 'longhandle', 'SAME_AS_HANDLE'],
    ['aaaaaaaaaaaa', 'alice', 'ONE_CHARACTER'],
  ])('checks %j for handle %j as %j', (password, handle, problem) => {
    expect(checkPassword(password, handle)).toBe(problem);
  });
});
