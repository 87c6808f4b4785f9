import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DeviceLinkCompleteRequestDto } from './device-link.dto.js';

const valid = () => ({
  linkToken: randomBytes(32).toString('base64url'),
  ephemeralPublicKey: randomBytes(32).toString('base64'),
  ciphertext: randomBytes(100).toString('base64'),
  iv: randomBytes(12).toString('base64'),
});
const problems = async (body: object) =>
  (await validate(plainToInstance(DeviceLinkCompleteRequestDto, body))).map((error) => error.property);

describe(DeviceLinkCompleteRequestDto.name, () => {
  it('accepts a sealed identity of the right lengths', async () => {
    expect(await problems(valid())).toEqual([]);
  });

  it.each([
    ['an 11-byte iv', { iv: randomBytes(11).toString('base64') }, 'iv'],
    [
      'an unpadded 32-byte key',
      { ephemeralPublicKey: randomBytes(32).toString('base64').replace('=', '') },
      'ephemeralPublicKey',
    ],
    ['a 33-byte key', { ephemeralPublicKey: randomBytes(33).toString('base64') }, 'ephemeralPublicKey'],
    ['an all-zero key', { ephemeralPublicKey: Buffer.alloc(32).toString('base64') }, 'ephemeralPublicKey'],
    ['a 2000-byte ciphertext', { ciphertext: randomBytes(2000).toString('base64') }, 'ciphertext'],
    [
      'a 16-byte ciphertext (no room for the tag and version)',
      { ciphertext: randomBytes(16).toString('base64') },
      'ciphertext',
    ],
    ['a non-canonical ciphertext (unused bits set)', { ciphertext: 'AAAAAAAAAAAAAAAAAAAAAAB=' }, 'ciphertext'],
    ['base64url in the ciphertext', { ciphertext: '-_' + randomBytes(100).toString('base64').slice(2) }, 'ciphertext'],
    ['a number as the iv', { iv: 12 }, 'iv'],
    ['a short token', { linkToken: randomBytes(31).toString('base64url') }, 'linkToken'],
  ])('refuses %s', async (_name, patch, field) => {
    expect(await problems({ ...valid(), ...patch })).toEqual([field]);
  });
});
