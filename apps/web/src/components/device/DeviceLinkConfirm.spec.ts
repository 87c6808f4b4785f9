import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceLinkDto } from '@pairchat/messaging';
import { ApiError } from '@/api/errors.js';
import { useDeviceKeysStore } from '@/stores/keys.js';
import DeviceLinkConfirm from './DeviceLinkConfirm.vue';

const CODE =
  '7c9e6679-7425-40de-944b-e07fc1f90ae7.ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM.AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA.ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8';
const link = (overrides: Partial<DeviceLinkDto> = {}): DeviceLinkDto => ({
  linkId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  deviceId: '00000000-0000-4000-8000-00000000c002',
  deviceName: 'Work phone',
  createdAt: '2026-12-03T15:00:00.000Z',
  expiresAt: '2026-12-03T15:10:00.000Z',
  status: 'pending',
  sealed: null,
  ...overrides,
});

describe('DeviceLinkConfirm', () => {
  let keys: ReturnType<typeof useDeviceKeysStore>;
  beforeEach(() => {
    setActivePinia(createPinia());
    keys = useDeviceKeysStore();
    keys.state = { phase: 'ready', protocolDeviceId: 1, identityKey: 'BQ==' };
  });

  async function enter(sut: ReturnType<typeof mount>, code = CODE) {
    await sut.get('textarea').setValue(code);
    await sut.get('form').trigger('submit');
    await flushPromises();
  }

  it('shows which device asks, and links it only after the user confirms', async () => {
    const lookUp = vi.spyOn(keys, 'lookUpLink').mockResolvedValue(link());
    const confirm = vi
      .spyOn(keys, 'confirmLink')
      .mockResolvedValue({ link: link({ status: 'completed' }), confirmation: '314159' });
    const sut = mount(DeviceLinkConfirm);
    await enter(sut);
    expect(lookUp).toHaveBeenCalledWith(CODE);
    expect(confirm).not.toHaveBeenCalled();
    expect(sut.text()).toContain('Link Work phone');

    await sut
      .findAll('button')
      .find((b) => b.text() === 'Link device')!
      .trigger('click');
    await flushPromises();
    expect(confirm).toHaveBeenCalledWith(CODE);
    expect(sut.get('[role="status"]').text()).toContain('Work phone is linked.');
    expect(sut.text()).toContain('314159');
  });

  it('refuses a malformed code without asking the server', async () => {
    const lookUp = vi.spyOn(keys, 'lookUpLink');
    const sut = mount(DeviceLinkConfirm);
    await enter(sut, 'not a code');
    expect(lookUp).not.toHaveBeenCalled();
    expect(sut.get('[role="alert"]').text()).toContain('this is not a device link code');
  });

  it.each([
    ['completed', 'already used'],
    ['expired', 'expired'],
  ] as const)('does not offer to confirm a %s link', async (status, text) => {
    vi.spyOn(keys, 'lookUpLink').mockResolvedValue(link({ status }));
    const sut = mount(DeviceLinkConfirm);
    await enter(sut);
    expect(sut.get('[role="alert"]').text()).toContain(text);
    expect(sut.findAll('button').map((b) => b.text())).not.toContain('Link device');
  });

  it('explains a refusal from the server', async () => {
    vi.spyOn(keys, 'lookUpLink').mockResolvedValue(link());
    vi.spyOn(keys, 'confirmLink').mockRejectedValue(new ApiError(409, 'LINK_ALREADY_USED', 'used'));
    const sut = mount(DeviceLinkConfirm);
    await enter(sut);
    await sut
      .findAll('button')
      .find((b) => b.text() === 'Link device')!
      .trigger('click');
    await flushPromises();
    expect(sut.get('[role="alert"]').text()).toContain('This code was already used.');
  });

  it('waits for this device’s keys before it can link another', async () => {
    keys.state = { phase: 'generating', done: 1, total: 202 };
    const sut = mount(DeviceLinkConfirm);
    await sut.get('textarea').setValue(CODE);
    expect(sut.get('button[type="submit"]').attributes('disabled')).toBeDefined();
    expect(sut.text()).toContain('still being set up');
  });
});
