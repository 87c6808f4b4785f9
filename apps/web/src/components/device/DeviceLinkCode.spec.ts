import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import DeviceLinkCode from './DeviceLinkCode.vue';

const CODE =
  '7c9e6679-7425-40de-944b-e07fc1f90ae7.ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM.AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA';

describe('DeviceLinkCode', () => {
  it('shows the code as text and QR, the time left, and copies it', async () => {
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const now = Date.parse('2026-12-03T15:00:00Z');
    const sut = mount(DeviceLinkCode, {
      props: { code: CODE, expiresAt: '2026-12-03T15:09:05Z', now: () => now },
    });
    await flushPromises();
    await vi.waitFor(() => expect(sut.find('img').exists()).toBe(true));
    expect((sut.get('textarea').element as HTMLTextAreaElement).value).toBe(CODE);
    expect(sut.text()).toContain('Works once, for 9:05 more.');
    await sut
      .findAll('button')
      .find((b) => b.text() === 'Copy code')!
      .trigger('click');
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith(CODE);
    expect(sut.text()).toContain('Copied.');
  });

  it('says when the code has expired and emits renew and cancel', async () => {
    const sut = mount(DeviceLinkCode, {
      props: { code: CODE, expiresAt: '2026-12-03T15:00:00Z', now: () => Date.parse('2026-12-03T15:10:00Z') },
    });
    expect(sut.text()).toContain('This code has expired.');
    await sut
      .findAll('button')
      .find((b) => b.text() === 'New code')!
      .trigger('click');
    await sut
      .findAll('button')
      .find((b) => b.text() === 'Cancel')!
      .trigger('click');
    expect(sut.emitted('renew')).toHaveLength(1);
    expect(sut.emitted('cancel')).toHaveLength(1);
  });
});
