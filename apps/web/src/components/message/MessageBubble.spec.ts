import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { ChatItem } from '@/chat/types.js';
import { aChatItem, anOutgoingItem } from '@/components/conversation/testing/chat-builders.js';
import MessageBubble from './MessageBubble.vue';

const mountBubble = (item: ChatItem) => mount(MessageBubble, { props: { item, contactHandle: 'bob' } });

describe('MessageBubble', () => {
  it.each([
    ['pending', 'Sending', 0],
    ['sent', 'Sent', 1],
    ['delivered', 'Delivered', 2],
    ['read', 'Read', 2],
  ] as const)('shows %s as "%s" with %i tick(s)', (status, label, ticks) => {
    const sut = mountBubble(anOutgoingItem(status));

    const icon = sut.get('[role="img"]');
    expect(icon.attributes('aria-label')).toBe(label);
    expect(icon.classes()).toContain(`message-status--${status}`);
    expect(icon.findAll('path').length).toBe(ticks === 0 ? 1 : ticks);
    expect(icon.find('circle').exists()).toBe(status === 'pending');
  });

  it('offers retry on a failed message instead of ticks', async () => {
    const sut = mountBubble(anOutgoingItem('failed'));

    expect(sut.find('[role="img"]').exists()).toBe(false);
    await sut.get('button').trigger('click');

    expect(sut.get('button').text()).toBe('Failed — retry');
    expect(sut.emitted('retry')).toHaveLength(1);
  });

  it('shows no status on incoming messages and names the author for screen readers', () => {
    const sut = mountBubble(aChatItem({ text: 'hi' }));
    expect(sut.find('[role="img"]').exists()).toBe(false);
    expect(sut.get('.visually-hidden').text()).toBe('@bob:');
  });

  it('keeps line breaks as text and renders markup literally', () => {
    const sut = mountBubble(aChatItem({ text: 'one\ntwo <b>bold</b>' }));
    expect(sut.get('.message__text').element.textContent).toBe('one\ntwo <b>bold</b>');
    expect(sut.find('b').exists()).toBe(false);
  });

  it('makes web links clickable without a referrer', () => {
    const sut = mountBubble(aChatItem({ text: 'look https://example.org/x' }));
    const link = sut.get('a');
    expect(link.attributes('href')).toBe('https://example.org/x');
    expect(link.attributes('rel')).toContain('noreferrer');
  });
});
