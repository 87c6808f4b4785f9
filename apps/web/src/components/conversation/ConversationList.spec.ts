import { mount, RouterLinkStub } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { ConversationSummary } from '@/chat/types.js';
import ConversationList from './ConversationList.vue';
import { aChatItem, aConversation } from './testing/chat-builders.js';

const now = new Date(2026, 11, 3, 15, 0).getTime();

function mountList(conversations: ConversationSummary[], activeId: string | null = null) {
  return mount(ConversationList, {
    props: { conversations, activeId, now },
    global: { stubs: { RouterLink: RouterLinkStub } },
    attachTo: document.body,
  });
}

describe('ConversationList', () => {
  const conversations = [
    aConversation({
      id: 'u-carol',
      handle: 'carol',
      unread: 2,
      online: true,
      lastItem: aChatItem({ text: 'see\nyou soon', serverAt: new Date(2026, 11, 3, 14, 5).getTime() }),
    }),
    aConversation({
      id: 'u-bob',
      handle: 'bob',
      typing: true,
      lastItem: aChatItem({ direction: 'out', status: 'read', text: 'ok' }),
    }),
    aConversation({
      id: 'u-dave',
      handle: 'dave',
      lastSeenAt: new Date(2026, 11, 2, 20, 0).toISOString(),
      lastItem: aChatItem({ kind: 'undecryptable', direction: 'system', text: null }),
    }),
  ];

  it('keeps the order it is given (the store sorts by last activity)', () => {
    const sut = mountList(conversations);
    expect(sut.findAll('.conversation-item__handle [aria-hidden="true"]').map((node) => node.text())).toEqual([
      '@carol',
      '@bob',
      '@dave',
    ]);
  });

  it('shows previews, unread counts, presence and typing', () => {
    const sut = mountList(conversations);
    const [carol, bob, dave] = sut.findAll('li');

    expect(carol!.get('.conversation-item__preview').text()).toBe('see you soon');
    expect(carol!.get('.count').text()).toBe('2');
    expect(carol!.find('.presence-dot').exists()).toBe(true);
    expect(carol!.get('.visually-hidden').text()).toBe('@carol, 2 unread, online');
    expect(bob!.get('.conversation-item__preview').text()).toBe('typing…');
    expect(bob!.find('.count').exists()).toBe(false);
    expect(dave!.get('.conversation-item__preview').text()).toBe('A message couldn’t be decrypted');
    expect(dave!.get('.visually-hidden').text()).toMatch(/^@dave, last seen yesterday at/);
  });

  it('marks the open conversation and makes it the only tab stop', () => {
    const sut = mountList(conversations, 'u-bob');
    const links = sut.findAllComponents(RouterLinkStub);

    expect(links.map((link) => link.attributes('tabindex'))).toEqual(['-1', '0', '-1']);
    expect(links[1]!.attributes('aria-current')).toBe('page');
    expect(links[1]!.props('to')).toEqual({ name: 'chat', params: { userId: 'u-bob' } });
  });

  it('moves focus with the arrow keys, Home and End', async () => {
    const sut = mountList(conversations);
    const links = () => sut.findAll('[data-conversation]');
    (links()[0]!.element as HTMLElement).focus();

    await sut.get('ul').trigger('keydown', { key: 'ArrowDown' });
    expect(document.activeElement?.getAttribute('data-conversation')).toBe('u-bob');
    await sut.get('ul').trigger('keydown', { key: 'End' });
    expect(document.activeElement?.getAttribute('data-conversation')).toBe('u-dave');
    await sut.get('ul').trigger('keydown', { key: 'ArrowDown' });
    expect(document.activeElement?.getAttribute('data-conversation')).toBe('u-dave');
    await sut.get('ul').trigger('keydown', { key: 'Home' });
    expect(document.activeElement?.getAttribute('data-conversation')).toBe('u-carol');
    expect(links().map((link) => link.attributes('tabindex'))).toEqual(['0', '-1', '-1']);
    sut.unmount();
  });

  it('has an empty state that points to pairing', () => {
    expect(mountList([]).text()).toContain('No conversations yet.');
  });
});
