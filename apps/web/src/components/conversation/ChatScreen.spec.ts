import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { usePairsStore } from '@/stores/pairs.js';
import { aPair, aUser } from '@/testing/fake-fetch.js';
import ChatScreen from './ChatScreen.vue';
import { aChatItem, aConversation, anOutgoingItem } from './testing/chat-builders.js';
import { fakeChatStore } from './testing/fake-chat-store.js';

function routerStub() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/chat', name: 'chats', component: { template: '<div />' } },
      { path: '/chat/:userId', name: 'chat', component: { template: '<div />' } },
      { path: '/pairs', name: 'pairs', component: { template: '<div />' } },
      { path: '/pairs/:userId/safety', name: 'safety-number', component: { template: '<div />' } },
    ],
  });
}

describe('ChatScreen', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    const pairs = usePairsStore();
    pairs.$patch({ pairs: [aPair(aUser('carol'))], state: 'done' });
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
  });

  async function mountScreen(fake: ReturnType<typeof fakeChatStore>, conversationId: string | null, accept = vi.fn()) {
    const router = routerStub();
    const push = vi.spyOn(router, 'push');
    const sut = mount(ChatScreen, {
      props: { store: fake.store, conversationId, acceptIdentity: accept },
      global: { plugins: [router], stubs: { RouterLink: RouterLinkStub } },
      attachTo: document.body,
    });
    await flushPromises();
    return { sut, push, accept };
  }

  it('shows the list and a prompt when no conversation is open', async () => {
    const fake = fakeChatStore({ conversations: [aConversation()] });
    const { sut } = await mountScreen(fake, null);

    expect(sut.get('.chat').classes()).not.toContain('chat--open');
    expect(sut.text()).toContain('Choose a conversation.');
    expect(fake.calls.markRead).toEqual([]);
    sut.unmount();
  });

  it('opens a conversation, loads its history, marks it read and sends', async () => {
    const bob = aConversation({ id: 'user-bob', unread: 1 });
    const fake = fakeChatStore({ conversations: [bob] });
    fake.givePages([
      { items: [aChatItem({ text: 'hi alice' }), anOutgoingItem('read', { text: 'hi bob' })], hasMore: false },
    ]);

    const { sut } = await mountScreen(fake, 'user-bob');

    expect(sut.get('.chat').classes()).toContain('chat--open');
    expect(fake.calls.loadOlder).toEqual(['user-bob']);
    expect(sut.get('[role="log"]').text()).toContain('hi alice');
    expect(sut.get('[role="log"]').attributes('aria-live')).toBe('polite');
    expect(sut.get('[role="img"]').attributes('aria-label')).toBe('Read');
    expect(sut.text()).toContain('This is the start of your conversation.');
    expect(fake.calls.markRead).toContain('user-bob');

    await sut.get('textarea').setValue('hello again');
    await sut.get('textarea').trigger('keydown', { key: 'Enter' });
    expect(fake.calls.send).toEqual([['user-bob', 'hello again']]);
    expect(fake.calls.typing).toEqual([
      ['user-bob', true],
      ['user-bob', false],
    ]);
    sut.unmount();
  });

  it('does not mark messages read while the window is not focused', async () => {
    vi.spyOn(document, 'hasFocus').mockReturnValue(false);
    const fake = fakeChatStore({ conversations: [aConversation({ unread: 2 })] });

    const { sut } = await mountScreen(fake, 'user-bob');

    expect(fake.calls.markRead).toEqual([]);
    sut.unmount();
  });

  it('opens a pair without messages yet from the pair list', async () => {
    const fake = fakeChatStore();
    const carolId = usePairsStore().pairs[0]!.user.id;

    const { sut } = await mountScreen(fake, carolId);

    expect(sut.get('h2').text()).toBe('@carol');
    expect(sut.text()).toContain('No messages yet. Say hello!');
    sut.unmount();
  });

  it('says when the person is not a pair', async () => {
    const { sut } = await mountScreen(fakeChatStore(), 'stranger');
    expect(sut.text()).toContain('You are not paired with this person');
    sut.unmount();
  });

  it('shows the offline banner', async () => {
    const fake = fakeChatStore({ conversations: [aConversation()] });
    fake.state.connection = 'offline';

    const { sut } = await mountScreen(fake, 'user-bob');

    expect(sut.text()).toContain('Offline — messages will be sent when you reconnect.');
    sut.unmount();
  });

  it('blocks sending on a changed safety number until the new key is accepted', async () => {
    const fake = fakeChatStore({ conversations: [aConversation({ identityChanged: true })] });
    const accept = vi.fn(async () => {
      fake.state.conversations = [aConversation({ identityChanged: false })];
    });
    const { sut } = await mountScreen(fake, 'user-bob', accept);

    expect(sut.get('.conversation-identity[role="alert"]').text()).toContain('@bob’s safety number changed.');
    expect(sut.get('textarea').attributes('disabled')).toBeDefined();
    const verify = sut.findAllComponents(RouterLinkStub).find((link) => link.text() === 'Verify');
    expect(verify?.props('to')).toEqual({ name: 'safety-number', params: { userId: 'user-bob' } });

    await sut.get('button.button--primary').trigger('click');
    await flushPromises();

    expect(accept).toHaveBeenCalledWith('user-bob');
    expect(sut.find('.conversation-identity').exists()).toBe(false);
    expect(sut.get('textarea').attributes('disabled')).toBeUndefined();
    sut.unmount();
  });

  it('closes the conversation on Escape', async () => {
    const fake = fakeChatStore({ conversations: [aConversation()] });
    const { sut, push } = await mountScreen(fake, 'user-bob');

    await sut.get('textarea').trigger('keydown', { key: 'Escape' });

    expect(push).toHaveBeenCalledWith({ name: 'chats' });
    sut.unmount();
  });

  it('shows the typing indicator and retries a failed message', async () => {
    const failed = anOutgoingItem('failed', { text: 'lost' });
    const fake = fakeChatStore({ conversations: [aConversation({ typing: true })], items: { 'user-bob': [failed] } });
    const { sut } = await mountScreen(fake, 'user-bob');

    expect(sut.text()).toContain('@bob is typing…');
    await sut.get('.message__retry').trigger('click');

    expect(fake.calls.retry).toEqual([failed.id]);
    sut.unmount();
  });

  it('reads the conversation again once the chat has started', async () => {
    const fake = fakeChatStore({ conversations: [aConversation()] });
    fake.state.connection = 'idle';
    const { sut } = await mountScreen(fake, 'user-bob');
    expect(fake.calls.loadOlder).toEqual(['user-bob']);

    fake.givePages([{ items: [aChatItem({ text: 'arrived before the page' })], hasMore: false }]);
    fake.state.connection = 'connecting';
    await flushPromises();

    expect(fake.calls.loadOlder).toEqual(['user-bob', 'user-bob']);
    expect(sut.get('[role="log"]').text()).toContain('arrived before the page');
    sut.unmount();
  });

  it('keeps failed receipts and typing frames quiet, says when a send failed, and keeps its text', async () => {
    const fake = fakeChatStore({ conversations: [aConversation({ unread: 1 })] });
    const refuse = () => Promise.reject(new Error('the chat is not started'));
    Object.assign(fake.store, { markRead: refuse, setTyping: refuse, send: refuse });
    const { sut } = await mountScreen(fake, 'user-bob');

    await sut.get('textarea').setValue('hello');
    await sut.get('textarea').trigger('keydown', { key: 'Enter' });
    await flushPromises();

    expect(sut.get('.chat__pane > [role="alert"]').text()).toBe(
      'That message could not be sent. Your text is kept; try again in a moment.',
    );
    expect((sut.get('textarea').element as HTMLTextAreaElement).value).toBe('hello');
    sut.unmount();
  });

  it('clears the draft only once the send resolved', async () => {
    const fake = fakeChatStore({ conversations: [aConversation()] });
    let finish!: () => void;
    const sends: string[] = [];
    Object.assign(fake.store, {
      send: (_id: string, text: string) => {
        sends.push(text);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    const { sut } = await mountScreen(fake, 'user-bob');
    const field = sut.get('textarea');

    await field.setValue('wait for it');
    await field.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect((field.element as HTMLTextAreaElement).value).toBe('wait for it');
    expect(field.attributes('readonly')).toBeDefined();
    await field.trigger('keydown', { key: 'Enter' }); // a second Enter while sending sends nothing
    expect(sends).toEqual(['wait for it']);

    finish();
    await flushPromises();
    expect((field.element as HTMLTextAreaElement).value).toBe('');
    expect(field.attributes('readonly')).toBeUndefined();
    sut.unmount();
  });

  it('asks to reload when a newer tab upgraded the database', async () => {
    const fake = fakeChatStore({ conversations: [aConversation()] });
    Object.assign(fake.store, { storageProblem: 'reload' });
    const { sut } = await mountScreen(fake, 'user-bob');
    expect(sut.get('.chat__pane > [role="alert"]').text()).toContain('Reload this page');
    sut.unmount();
  });

  it('warns at the account level when one of my own devices has another identity key', async () => {
    const calm = await mountScreen(fakeChatStore({ conversations: [aConversation()] }), 'user-bob');
    expect(calm.sut.find('.chat__own-identity').exists()).toBe(false);
    calm.sut.unmount();

    const fake = fakeChatStore({ conversations: [aConversation()] });
    Object.assign(fake.store, { ownIdentityMismatch: true });
    const { sut } = await mountScreen(fake, 'user-bob');
    const warning = sut.get('.chat__own-identity');
    expect(warning.attributes('role')).toBe('alert');
    expect(warning.text()).toContain('different safety key');
    expect(warning.findComponent(RouterLinkStub).props('to')).toEqual({ name: 'devices' });
    sut.unmount();
  });

  it('keeps an unsent draft per conversation', async () => {
    const fake = fakeChatStore({ conversations: [aConversation(), aConversation({ id: 'u-dave', handle: 'dave' })] });
    const { sut } = await mountScreen(fake, 'user-bob');
    await sut.get('textarea').setValue('half a thought');

    await sut.setProps({ conversationId: 'u-dave' });
    expect((sut.get('textarea').element as HTMLTextAreaElement).value).toBe('');
    await sut.setProps({ conversationId: 'user-bob' });

    expect((sut.get('textarea').element as HTMLTextAreaElement).value).toBe('half a thought');
    sut.unmount();
  });
});
