import { describe, expect, it } from 'vitest';
import { linkParts } from './link-parts.js';

describe('linkParts', () => {
  it('keeps plain text as one part', () => {
    expect(linkParts('hello\nthere')).toEqual([{ kind: 'text', text: 'hello\nthere' }]);
  });

  it('finds web links and leaves sentence punctuation outside', () => {
    expect(linkParts('see https://example.org/a?b=1. ok')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: '. ok' },
    ]);
  });

  it('never links other schemes', () => {
    expect(linkParts('javascript:alert(1) data:text/html,x')).toEqual([
      { kind: 'text', text: 'javascript:alert(1) data:text/html,x' },
    ]);
  });
});
