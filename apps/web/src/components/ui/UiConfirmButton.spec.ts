import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import UiConfirmButton from './UiConfirmButton.vue';

describe('UiConfirmButton', () => {
  const props = { label: 'Block', question: 'Block @bob?', confirmLabel: 'Block now' };

  it('asks first and emits confirm only after the second click', async () => {
    const sut = mount(UiConfirmButton, { props, attachTo: document.body });

    await sut.get('button').trigger('click');
    expect(sut.emitted('confirm')).toBeUndefined();
    expect(sut.text()).toContain('Block @bob?');
    expect(document.activeElement?.textContent?.trim()).toBe('Block now');

    await sut.get('button.button--small:not(.button--quiet)').trigger('click');
    expect(sut.emitted('confirm')).toHaveLength(1);
    sut.unmount();
  });

  it('goes back without emitting on cancel or Escape', async () => {
    const sut = mount(UiConfirmButton, { props });

    await sut.get('button').trigger('click');
    await sut
      .findAll('button')
      .find((button) => button.text() === 'Cancel')!
      .trigger('click');
    expect(sut.text()).toBe('Block');

    await sut.get('button').trigger('click');
    await sut.get('[role="group"]').trigger('keydown', { key: 'Escape' });
    expect(sut.text()).toBe('Block');
    expect(sut.emitted('confirm')).toBeUndefined();
  });
});
