import { mount, RouterLinkStub } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { ChatItem } from '@/chat/types.js';
import ConversationMessages from './ConversationMessages.vue';
import { aChatItem, anOutgoingItem } from './testing/chat-builders.js';

const at = (day: number, hour: number) => new Date(2026, 11, day, hour).getTime();

function mountMessages(items: ChatItem[], props: Record<string, unknown> = {}) {
  return mount(ConversationMessages, {
    props: { items, contactHandle: 'bob', now: at(3, 12), ...props },
    global: { stubs: { RouterLink: RouterLinkStub } },
  });
}

describe('ConversationMessages', () => {
  it('renders day separators, bubbles and system rows in order inside the log', () => {
    const sut = mountMessages([
      aChatItem({ text: 'yesterday evening', serverAt: at(2, 20) }),
      aChatItem({ kind: 'gap', direction: 'system', text: null, count: 2, serverAt: at(3, 8) }),
      aChatItem({ kind: 'undecryptable', direction: 'system', text: null, serverAt: at(3, 9) }),
      anOutgoingItem('delivered', { text: 'morning', serverAt: at(3, 10) }),
    ]);

    const log = sut.get('[role="log"]');
    expect(log.attributes('aria-label')).toBe('Messages with @bob');
    expect(log.findAll('.messages__row').map((row) => row.text())).toEqual([
      'Yesterday',
      expect.stringContaining('yesterday evening'),
      'Today',
      '2 messages expired before this device received them.',
      'This message couldn’t be decrypted. Asked the sender to send it again.',
      expect.stringContaining('morning'),
    ]);
    expect(log.get('[role="img"]').attributes('aria-label')).toBe('Delivered');
  });

  it('asks for older history when there may be more', () => {
    expect(mountMessages([], { hasMore: true }).emitted('loadOlder')).toHaveLength(1);
    expect(mountMessages([], { hasMore: false }).emitted('loadOlder')).toBeUndefined();
    expect(mountMessages([], { hasMore: true, loadingOlder: true }).text()).toContain('Loading earlier messages…');
  });

  it('shows the typing indicator under the last row without announcing it', () => {
    const sut = mountMessages([aChatItem()], { typing: true });
    const typing = sut.get('.messages__typing');
    expect(typing.text()).toBe('@bob is typing…');
    expect(typing.attributes('aria-hidden')).toBe('true');
  });
});
