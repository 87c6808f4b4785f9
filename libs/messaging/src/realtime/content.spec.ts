import { describe, expect, it } from '@jest/globals';
import { CONTENT_PADDING_BLOCK, ContentError, decodeContent, encodeContent, type Content } from './content.js';

const MESSAGE_ID = '8f14e45f-ceea-467a-9af0-000000000001';

describe(encodeContent.name, () => {
  it.each<Content>([
    { v: 1, t: 'message', id: 'c-1', text: 'hello 👋', sentAt: 1 },
    { v: 1, t: 'receipt', type: 'read', messageIds: [MESSAGE_ID], sentAt: 2 },
    { v: 1, t: 'typing', action: 'started', sentAt: 3 },
    {
      v: 1,
      t: 'sync',
      destinationUserId: MESSAGE_ID,
      message: { v: 1, t: 'message', id: 'c-2', text: 'x', sentAt: 4 },
    },
    { v: 1, t: 'resend', messageIds: [MESSAGE_ID], sentAt: 5 },
    { v: 1, t: 'message', id: 'c-3', text: 'again', sentAt: 6, resendOf: MESSAGE_ID },
  ])('round-trips %j', (content) => {
    const encoded = encodeContent(content);
    expect(encoded.length % CONTENT_PADDING_BLOCK).toBe(0);
    expect(decodeContent(encoded)).toEqual(content);
  });

  it('pads short and longer texts to the same length', () => {
    const a = encodeContent({ v: 1, t: 'message', id: 'c', text: 'a', sentAt: 0 });
    const b = encodeContent({ v: 1, t: 'message', id: 'c', text: 'a'.repeat(60), sentAt: 0 });
    expect(a.length).toBe(b.length);
  });

  it('rejects a resend request without ids or with a non-uuid id', () => {
    expect(() => encodeContent({ v: 1, t: 'resend', messageIds: [], sentAt: 0 })).toThrow(TypeError);
    expect(() => encodeContent({ v: 1, t: 'resend', messageIds: ['c-1'], sentAt: 0 })).toThrow(TypeError);
  });

  it('rejects content that does not match the schema', () => {
    expect(() => encodeContent({ v: 1, t: 'message', id: 'c', text: '', sentAt: 0 })).toThrow(TypeError);
  });
});

describe(decodeContent.name, () => {
  const bytes = (json: string) => {
    const raw = new TextEncoder().encode(json);
    const out = new Uint8Array(raw.length + 10);
    out.set(raw);
    out[raw.length] = 0x80;
    return out;
  };
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as ContentError).code;
    }
    return null;
  };

  it('rejects missing padding', () => {
    expect(code(() => decodeContent(new TextEncoder().encode('{"v":1}')))).toBe('MALFORMED_PADDING');
    expect(code(() => decodeContent(new Uint8Array(16)))).toBe('MALFORMED_PADDING');
  });

  it('rejects another version by name', () => {
    expect(code(() => decodeContent(bytes('{"v":2,"t":"message"}')))).toBe('UNSUPPORTED_VERSION');
  });

  it('rejects invalid JSON and unknown kinds', () => {
    expect(code(() => decodeContent(bytes('{v:1')))).toBe('MALFORMED_CONTENT');
    expect(code(() => decodeContent(bytes('{"v":1,"t":"call"}')))).toBe('MALFORMED_CONTENT');
  });
});
