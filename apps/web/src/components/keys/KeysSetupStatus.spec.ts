import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useDeviceKeysStore } from '@/stores/keys.js';
import KeysSetupStatus from './KeysSetupStatus.vue';

describe('KeysSetupStatus', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('shows nothing while idle or ready', async () => {
    const keys = useDeviceKeysStore();
    const wrapper = mount(KeysSetupStatus);
    expect(wrapper.text()).toBe('');
    keys.state = { phase: 'ready', protocolDeviceId: 1, identityKey: 'BQ==' };
    await wrapper.vm.$nextTick();
    expect(wrapper.text()).toBe('');
  });

  it('shows the key generation progress', async () => {
    const keys = useDeviceKeysStore();
    keys.state = { phase: 'generating', done: 101, total: 202 };
    const wrapper = mount(KeysSetupStatus);
    expect(wrapper.get('label').text()).toBe('Creating this device’s encryption keys… 50%');
    expect(wrapper.get('progress').attributes('value')).toBe('50');
    keys.state = { phase: 'uploading' };
    await wrapper.vm.$nextTick();
    expect(wrapper.get('[role="status"]').text()).toBe('Publishing your public keys…');
  });

  it('offers only a confirmed reset when the account already has an identity (linking is not built yet)', async () => {
    const keys = useDeviceKeysStore();
    const reset = vi.spyOn(keys, 'resetIdentity').mockResolvedValue({ phase: 'checking' });
    keys.state = { phase: 'identity-conflict' };
    const wrapper = mount(KeysSetupStatus);
    expect(wrapper.get('[role="alert"]').text()).toContain('already has encryption keys on another device');

    expect(wrapper.text()).toContain('not available yet');
    expect(wrapper.findAll('button').map((b) => b.text())).toEqual(['Reset identity']);

    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Reset identity')!
      .trigger('click');
    expect(reset).not.toHaveBeenCalled();
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Reset')!
      .trigger('click');
    expect(reset).toHaveBeenCalledTimes(1);
  });

  it('offers a retry after an error', async () => {
    const keys = useDeviceKeysStore();
    const retry = vi.spyOn(keys, 'retry').mockResolvedValue({ phase: 'checking' });
    keys.state = { phase: 'error', error: new Error('offline') };
    const wrapper = mount(KeysSetupStatus);
    await wrapper.get('button').trigger('click');
    expect(retry).toHaveBeenCalledTimes(1);
  });
});
