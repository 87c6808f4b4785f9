import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { aPair, aUser, installFakeFetch } from '@/testing/fake-fetch.js';
import SafetyNumberPage from './SafetyNumberPage.vue';

const PanelStub = {
  name: 'SafetyNumberPanel',
  props: ['contactId', 'contactName'],
  template: '<div class="panel-stub" />',
};

async function mountAt(userId: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/pairs', name: 'pairs', component: { template: '<p />' } },
      { path: '/pairs/:userId/safety', name: 'safety-number', component: SafetyNumberPage },
    ],
  });
  await router.push(`/pairs/${userId}/safety`);
  const wrapper = mount(SafetyNumberPage, {
    global: { plugins: [router], stubs: { SafetyNumberPanel: PanelStub } },
  });
  await flushPromises();
  return wrapper;
}

describe('SafetyNumberPage', () => {
  const bob = aUser('bob');

  beforeEach(() => setActivePinia(createPinia()));

  function serve(pairs = [aPair(bob)]) {
    installFakeFetch()
      .on('GET /pairs', { status: 200, body: pairs })
      .on('GET /pairs/requests', { status: 200, body: { incoming: [], outgoing: [] } })
      .on('GET /blocks', { status: 200, body: [] });
  }

  it('shows the safety number panel for a paired contact', async () => {
    serve();
    const wrapper = await mountAt(bob.id);
    const panel = wrapper.getComponent(PanelStub);
    expect(panel.props()).toEqual({ contactId: bob.id, contactName: '@bob' });
  });

  it('says so when the person is not a pair', async () => {
    serve([]);
    const wrapper = await mountAt(bob.id);
    expect(wrapper.findComponent(PanelStub).exists()).toBe(false);
    expect(wrapper.text()).toContain('You are not paired with this person.');
  });
});
