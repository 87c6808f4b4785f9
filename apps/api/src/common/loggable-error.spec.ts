import { describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { loggableError } from './loggable-error.js';

describe(loggableError.name, () => {
  it('drops the SQL, its parameters and the driver message of a database error', () => {
    const driverError = Object.assign(new Error("Duplicate entry 'secret-hash' for key 'uq'"), {
      code: 'ER_DUP_ENTRY',
      errno: 1062,
    });
    const error = new QueryFailedError('INSERT INTO t (hash) VALUES (?)', ['secret-hash'], driverError);
    const logged = loggableError(error);
    expect(JSON.stringify(logged)).not.toContain('secret-hash');
    expect(JSON.stringify(logged)).not.toContain('INSERT');
    expect(logged).toMatchObject({ type: 'QueryFailedError', code: 'ER_DUP_ENTRY', errno: 1062 });
    expect(logged.stack).toMatch(/^\s+at /);
  });

  it('keeps the message of an ordinary bug', () => {
    expect(loggableError(new TypeError('x is undefined'))).toMatchObject({
      type: 'TypeError',
      message: 'x is undefined',
    });
  });
});
