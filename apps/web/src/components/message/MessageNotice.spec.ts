import { mount, RouterLinkStub } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { ChatItem } from '@/chat/types.js';
import { aChatItem } from '@/components/conversation/testing/chat-builders.js';
import MessageNotice from './MessageNotice.vue';

const mountNotice = (item: ChatItem) =>
  mount(MessageNotice, { props: { item, contactHandle: 'bob' }, global: { stubs: { RouterLink: RouterLinkStub } } });
const system = (overrides: Partial<ChatItem>) => aChatItem({ direction: 'system', text: null, ...overrides });

describe('MessageNotice', () => {
  it('explains an undecryptable message', () => {
    expect(mountNotice(system({ kind: 'undecryptable' })).text()).toBe(
      'This message couldn’t be decrypted. Asked the sender to send it again.',
    );
  });

  it('counts expired messages', () => {
    expect(mountNotice(system({ kind: 'gap', count: 3 })).text()).toBe(
      '3 messages expired before this device received them.',
    );
    expect(mountNotice(system({ kind: 'gap', count: 1 })).text()).toContain('1 message expired');
  });

  it('links a safety number change to the verification screen', () => {
    const sut = mountNotice(system({ kind: 'identity-change', conversationId: 'user-bob' }));

    expect(sut.text()).toContain('Your safety number with @bob changed.');
    const link = sut.getComponent(RouterLinkStub);
    expect(link.text()).toBe('Verify');
    expect(link.props('to')).toEqual({ name: 'safety-number', params: { userId: 'user-bob' } });
  });
});
