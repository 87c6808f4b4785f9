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

  it('offers linking and a confirmed reset when the account already has an identity', async () => {
    const keys = useDeviceKeysStore();
    const reset = vi.spyOn(keys, 'resetIdentity').mockResolvedValue({ phase: 'checking' });
    const link = vi.spyOn(keys, 'startLink').mockResolvedValue();
    keys.state = { phase: 'identity-conflict' };
    const wrapper = mount(KeysSetupStatus);
    expect(wrapper.get('[role="alert"]').text()).toContain('already has encryption keys on another device');
    expect(wrapper.findAll('button').map((b) => b.text())).toEqual(['Link this device', 'Reset identity']);

    await wrapper.findAll('button')[0]!.trigger('click');
    expect(link).toHaveBeenCalledTimes(1);

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

  it('shows the code while waiting, with a new-code and a cancel button', async () => {
    const keys = useDeviceKeysStore();
    const renew = vi.spyOn(keys, 'startLink').mockResolvedValue();
    const cancel = vi.spyOn(keys, 'cancelLink').mockReturnValue();
    keys.state = { phase: 'identity-conflict' };
    const code = '7c9e6679-7425-40de-944b-e07fc1f90ae7.abc.def';
    keys.link = { phase: 'waiting', linkId: 'x', code, expiresAt: new Date(Date.now() + 600_000).toISOString() };
    const wrapper = mount(KeysSetupStatus);
    expect((wrapper.get('textarea').element as HTMLTextAreaElement).value).toBe(code);
    expect(wrapper.text()).toContain('Link a new device');
    expect(wrapper.findAll('button').map((b) => b.text())).toEqual([
      'Copy code',
      'New code',
      'Cancel',
      'Reset identity',
    ]);
    await wrapper.findAll('button')[1]!.trigger('click');
    await wrapper.findAll('button')[2]!.trigger('click');
    expect(renew).toHaveBeenCalledTimes(1);
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it('says why linking failed and offers a new code', async () => {
    const keys = useDeviceKeysStore();
    keys.state = { phase: 'identity-conflict' };
    keys.link = { phase: 'failed', message: 'That did not work: the code expired before another device used it.' };
    const wrapper = mount(KeysSetupStatus);
    expect(wrapper.text()).toContain('the code expired');
    expect(wrapper.findAll('button')[0]!.text()).toBe('Show a new code');
  });

  it('confirms a finished link with the confirmation number, then can be dismissed', async () => {
    const keys = useDeviceKeysStore();
    keys.state = { phase: 'ready', protocolDeviceId: 2, identityKey: 'BQ==' };
    keys.link = { phase: 'linked', confirmation: '042137' };
    const wrapper = mount(KeysSetupStatus);
    expect(wrapper.get('[role="status"]').text()).toContain('This device is linked.');
    expect(wrapper.text()).toContain('042137');
    // Asked of the user, not asserted: nothing here knows what the other screen shows.
    expect(wrapper.text()).toContain('check that it is 042137');
    expect(wrapper.text()).not.toContain('showed the same');
    await wrapper.get('button').trigger('click');
    expect(wrapper.text()).toBe('');
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
