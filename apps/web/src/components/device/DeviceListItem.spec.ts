import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { aDevice } from '@/testing/fake-fetch.js';
import DeviceListItem from './DeviceListItem.vue';

describe('DeviceListItem', () => {
  it('renames through an inline form', async () => {
    const device = aDevice({ name: 'Web browser', current: true });
    const sut = mount(DeviceListItem, { props: { device } });
    expect(sut.text()).toContain('This device');

    await sut.get(`button[aria-label="Rename Web browser"]`).trigger('click');
    await sut.get(`#device-name-${device.id}`).setValue('  Kitchen tablet ');
    await sut.get('form').trigger('submit');

    expect(sut.emitted('rename')).toEqual([['Kitchen tablet']]);
  });

  it('refuses an empty name', async () => {
    const device = aDevice();
    const sut = mount(DeviceListItem, { props: { device } });

    await sut.get('button[aria-label^="Rename"]').trigger('click');
    await sut.get('input').setValue('   ');
    await sut.get('form').trigger('submit');

    expect(sut.emitted('rename')).toBeUndefined();
    expect(sut.get('[role="alert"]').text()).toBe('Enter a name.');
  });

  it('asks before removing the current device, which signs out', async () => {
    const sut = mount(DeviceListItem, { props: { device: aDevice({ current: true }) } });

    await sut
      .findAll('button')
      .find((button) => button.text() === 'Remove and sign out')!
      .trigger('click');
    expect(sut.text()).toContain('Remove this device and sign out?');
    await sut
      .findAll('button')
      .find((button) => button.text() === 'Remove')!
      .trigger('click');

    expect(sut.emitted('revoke')).toHaveLength(1);
  });
});
