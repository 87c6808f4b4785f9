import { describe, expect, it } from 'vitest';
import {
  DeviceLinkError,
  formatDeviceLinkCode,
  fromBase64,
  parseDeviceLinkCode,
  toBase64,
} from './device-link-code.js';

const LINK_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const TOKEN = 'ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM';
const key = Uint8Array.from({ length: 32 }, (_, i) => i + 200);
const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 3);
const code = formatDeviceLinkCode({ linkId: LINK_ID, linkToken: TOKEN, ephemeralPublicKey: key, codeSecret: secret });

describe('device link code', () => {
  it('formats as id.token.key.secret and parses back', () => {
    expect(code).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(parseDeviceLinkCode(code)).toEqual({
      linkId: LINK_ID,
      linkToken: TOKEN,
      ephemeralPublicKey: key,
      codeSecret: secret,
    });
  });

  it('refuses to format a code without a 32-byte secret', () => {
    expect(() =>
      formatDeviceLinkCode({
        linkId: LINK_ID,
        linkToken: TOKEN,
        ephemeralPublicKey: key,
        codeSecret: secret.subarray(1),
      }),
    ).toThrow('codeSecret: expected 32 bytes');
  });

  it('ignores surrounding whitespace and an upper-case id, as pasted codes have', () => {
    const [id, ...rest] = code.split('.');
    expect(parseDeviceLinkCode(`  ${[id.toUpperCase(), ...rest].join('.')}\n`).linkId).toBe(LINK_ID);
  });

  it.each([
    ['not text', 42],
    ['two parts', `${LINK_ID}.${TOKEN}`],
    ['a v1 code (three parts: no secret)', code.split('.').slice(0, 3).join('.')],
    ['five parts', `${code}.x`],
    ['a 31-byte secret', `${code.split('.').slice(0, 3).join('.')}.${'A'.repeat(42)}`],
    ['a link id that is not a UUID', code.replace(LINK_ID, 'link-1')],
    ['a short token', code.replace(TOKEN, TOKEN.slice(0, 40))],
    ['a token with a padding char', code.replace(TOKEN, `${TOKEN.slice(0, 42)}=`)],
    ['a non-canonical token (unused bits set)', code.replace(TOKEN, `${TOKEN.slice(0, 42)}N`)],
    ['a 31-byte key', `${LINK_ID}.${TOKEN}.${'A'.repeat(42)}.${code.split('.')[3]}`],
    ['standard base64 characters', code.replace(TOKEN, TOKEN.replace('-', '+'))],
    ['inner whitespace', code.replace('.', '. ')],
  ])('refuses %s with a DeviceLinkError', (_name, text) => {
    expect(() => parseDeviceLinkCode(text)).toThrow(DeviceLinkError);
  });

  it('round-trips standard base64 and refuses non-canonical or wrong-length input', () => {
    const bytes = Uint8Array.from({ length: 33 }, (_, i) => i * 7);
    expect(fromBase64(toBase64(bytes), 'x', 33)).toEqual(bytes);
    expect(() => fromBase64(toBase64(bytes), 'x', 32)).toThrow('x: expected 32 bytes');
    expect(() => fromBase64('AB==', 'x')).toThrow(DeviceLinkError);
    expect(() => fromBase64('not base64!', 'x')).toThrow(DeviceLinkError);
  });
});
