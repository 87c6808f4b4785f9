import { mount, flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import SafetyNumber from './SafetyNumber.vue';

const DIGITS = '054321987650123498765012345678901234567890123456789012345678';
const SCANNABLE = Uint8Array.from({ length: 74 }, (_, i) => (i * 7) & 0xff);

function mountSut(props: Partial<InstanceType<typeof SafetyNumber>['$props']> = {}) {
  return mount(SafetyNumber, {
    props: { contactName: 'bob', displayable: DIGITS, scannable: SCANNABLE, verified: false, ...props },
  });
}

describe('SafetyNumber', () => {
  it('shows the 60 digits as 12 groups of 5', () => {
    const wrapper = mountSut();
    const groups = wrapper.findAll('ol li').map((li) => li.text());
    expect(groups).toHaveLength(12);
    expect(groups.every((group) => /^\d{5}$/.test(group))).toBe(true);
    expect(groups.join('')).toBe(DIGITS);
    expect(wrapper.get('ol').attributes('aria-label')).toBe('Safety number with bob');
  });

  it('draws the scannable fingerprint as a QR code image', async () => {
    const wrapper = mountSut();
    await flushPromises();
    const img = wrapper.get('img');
    expect(img.attributes('alt')).toBe('QR code of your safety number with bob');
    const src = img.attributes('src')!;
    expect(src.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    const svg = decodeURIComponent(src.slice(src.indexOf(',') + 1));
    expect(svg).toMatch(/^<svg[^>]*viewBox="0 0 (\d+) \1"/);

    await wrapper.setProps({ scannable: SCANNABLE.map((b) => b ^ 0xff) });
    await flushPromises();
    expect(wrapper.get('img').attributes('src')).not.toBe(src);
  });

  it('emits the new state when "Mark as verified" is toggled, and shows the badge when verified', async () => {
    const wrapper = mountSut();
    expect(wrapper.text()).not.toContain('Verified');
    const toggle = wrapper.get('input[role="switch"]');
    expect(wrapper.get(`label[for="${toggle.attributes('id')}"]`).text()).toBe('Mark as verified');
    await toggle.setValue(true);
    expect(wrapper.emitted('update:verified')).toEqual([[true]]);

    await wrapper.setProps({ verified: true });
    expect(wrapper.find('.badge').text()).toBe('Verified');
    expect((wrapper.get('input[role="switch"]').element as HTMLInputElement).checked).toBe(true);
    await wrapper.get('input[role="switch"]').setValue(false);
    expect(wrapper.emitted('update:verified')).toEqual([[true], [false]]);
  });

  it('refuses to show a malformed number and disables the toggle', () => {
    const wrapper = mountSut({ displayable: '12345' });
    expect(wrapper.find('ol').exists()).toBe(false);
    expect(wrapper.get('[role="alert"]').text()).toBe('The safety number is not available.');
    expect(wrapper.get('input[role="switch"]').attributes('disabled')).toBeDefined();
  });
});
