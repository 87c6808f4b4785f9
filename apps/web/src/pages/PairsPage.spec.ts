import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PairRequestDto } from '@pairchat/messaging';
import { aPair, aPairRequest, aSession, apiError, aUser, installFakeFetch } from '@/testing/fake-fetch.js';
import { useSessionStore } from '@/stores/session.js';
import PairsPage from './PairsPage.vue';

describe('PairsPage', () => {
  let fake: ReturnType<typeof installFakeFetch>;
  const me = aUser('alice');
  const bob = aUser('bob');

  beforeEach(async () => {
    localStorage.clear();
    fake = installFakeFetch();
    setActivePinia(createPinia());
    fake.on('POST /auth/login', { status: 200, body: aSession({ user: me }) });
    await useSessionStore().login({ handle: 'alice', password: 'correct horse battery' });
  });

  function serve(incoming: PairRequestDto[] = [], pairs = [] as ReturnType<typeof aPair>[]) {
    fake
      .on('GET /pairs', { status: 200, body: pairs })
      .on('GET /pairs/requests', { status: 200, body: { incoming, outgoing: [] } })
      .on('GET /blocks', { status: 200, body: [] });
  }

  async function mountPage() {
    const sut = mount(PairsPage, { global: { stubs: { RouterLink: RouterLinkStub } } });
    await flushPromises();
    return sut;
  }

  it('shows the empty state when there is nothing yet', async () => {
    serve();

    const sut = await mountPage();

    expect(sut.text()).toContain('No pairs yet.');
    expect(sut.text()).not.toContain('Requests to you');
  });

  it('accepts an incoming request and shows the new pair', async () => {
    const request = aPairRequest(bob, me);
    serve([request]);
    fake.on(`POST /pairs/requests/${request.id}/accept`, { status: 200, body: aPair(bob) });
    const sut = await mountPage();

    await sut.get('button[aria-label="Accept @bob"]').trigger('click');
    await flushPromises();

    expect(fake.callsTo(`POST /pairs/requests/${request.id}/accept`)).toHaveLength(1);
    expect(sut.text()).not.toContain('Requests to you');
    expect(sut.get('ul[aria-label="Your pairs"]').text()).toContain('@bob');
    expect(sut.get('[role="status"].alert--success').text()).toBe('Request accepted.');
  });

  it('shows a friendly error when the request is gone', async () => {
    const request = aPairRequest(bob, me);
    serve([request]);
    fake.on(`POST /pairs/requests/${request.id}/decline`, apiError(404, 'REQUEST_NOT_FOUND'));
    const sut = await mountPage();

    await sut.get('button[aria-label="Decline @bob"]').trigger('click');
    await flushPromises();

    const alerts = sut
      .findAll('[role="alert"]')
      .map((alert) => alert.text())
      .filter(Boolean);
    expect(alerts).toEqual(['That pair request is no longer open.']);
    expect(sut.text()).toContain('Requests to you');
  });

  it('sends a pair request by handle and clears the field', async () => {
    serve();
    fake.on('POST /pairs/requests', { status: 201, body: { request: aPairRequest(me, bob) } });
    const sut = await mountPage();

    await sut.get('#pair-request-handle').setValue('@Bob');
    await sut.get('form').trigger('submit');
    await flushPromises();

    expect(fake.callsTo('POST /pairs/requests')[0]?.body).toEqual({ handle: 'bob' });
    expect((sut.get('#pair-request-handle').element as HTMLInputElement).value).toBe('');
    expect(sut.text()).toContain('Request sent to @bob.');
    expect(sut.text()).toContain('Waiting for an answer');
  });

  it('maps an unknown handle to a friendly error', async () => {
    serve();
    fake.on('POST /pairs/requests', apiError(404, 'USER_NOT_FOUND'));
    const sut = await mountPage();

    await sut.get('#pair-request-handle').setValue('nobody');
    await sut.get('form').trigger('submit');
    await flushPromises();

    expect(sut.text()).toContain('Nobody has that handle.');
    expect((sut.get('#pair-request-handle').element as HTMLInputElement).value).toBe('nobody');
  });

  it('blocks a pair only after confirming', async () => {
    serve([], [aPair(bob)]);
    fake.on('POST /blocks', { status: 204 });
    const sut = await mountPage();

    await sut
      .findAll('button')
      .find((button) => button.text() === 'Block')!
      .trigger('click');
    expect(fake.callsTo('POST /blocks')).toHaveLength(0);
    await sut
      .findAll('button')
      .find((button) => button.text() === 'Block' && button.classes('button--danger'))!
      .trigger('click');
    await flushPromises();

    expect(fake.callsTo('POST /blocks')[0]?.body).toEqual({ userId: bob.id });
    expect(sut.get('ul[aria-label="Your pairs"]').text()).toContain('Blocked');
  });
});
