import { mount, RouterLinkStub } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { aDevice, aUser } from '@/testing/fake-fetch.js';
import LayoutHeader from './LayoutHeader.vue';

vi.mock('vue-router', async (importOriginal) => ({
  ...(await importOriginal<typeof import('vue-router')>()),
  useRoute: () => ({ name: 'chat', params: { userId: 'u1' } }),
}));

describe('LayoutHeader', () => {
  beforeEach(() => setActivePinia(createPinia()));

  const mountHeader = (unread: number) =>
    mount(LayoutHeader, {
      props: { user: aUser('alice'), device: aDevice(), unread },
      global: { stubs: { RouterLink: RouterLinkStub } },
    });

  it('puts Chats first in the nav, lit on a conversation', () => {
    const links = mountHeader(0).get('nav[aria-label="Main"]').findAllComponents(RouterLinkStub);
    const chats = links[0]!;

    expect(links.map((link: { text(): string }) => link.text())).toEqual(['Chats', 'Pairs', 'Devices']);
    expect(chats.props('to')).toEqual({ name: 'chats' });
    expect(chats.classes()).toContain('router-link-active');
  });

  it('shows the unread total with a text alternative', () => {
    const chats = mountHeader(3)
      .findAllComponents(RouterLinkStub)
      .find((link) => link.text().startsWith('Chats'))!;

    expect(chats.get('.count').text()).toBe('3');
    expect(chats.get('.visually-hidden').text()).toBe(', 3 unread');
  });

  it('shows no badge without unread messages', () => {
    expect(mountHeader(0).find('.header__count').exists()).toBe(false);
  });
});
