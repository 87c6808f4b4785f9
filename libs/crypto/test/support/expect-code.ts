import { expect } from '@jest/globals';
import { ProtocolError, type ProtocolErrorCode } from '../../src/errors.js';

/** Awaits `p`, asserting it rejects with a ProtocolError whose code is one of `codes`. */
export async function expectProtocolError(p: Promise<unknown>, ...codes: ProtocolErrorCode[]): Promise<ProtocolError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProtocolError);
  expect(codes).toContain((err as ProtocolError).code);
  return err as ProtocolError;
}
