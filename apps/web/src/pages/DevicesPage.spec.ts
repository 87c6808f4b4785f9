import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import { createAppRouter } from '@/router/index.js';
import { useSessionStore } from '@/stores/session.js';
import { aDevice, aSession, apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import DevicesPage from './DevicesPage.vue';

describe('DevicesPage', () => {
  let fake: ReturnType<typeof installFakeFetch>;
  const laptop = aDevice({ name: 'Laptop', current: true });
  const phone = aDevice({ name: 'Phone', current: false });

  beforeEach(async () => {
    localStorage.clear();
    fake = installFakeFetch();
    setActivePinia(createPinia());
    fake.on('POST /auth/login', { status: 200, body: aSession({ device: laptop }) });
    await useSessionStore().login({ handle: 'alice', password: 'correct horse battery' });
    fake.on('GET /devices', { status: 200, body: [phone, laptop] });
  });

  async function mountPage() {
    const router = createAppRouter(createMemoryHistory());
    await router.push('/devices');
    const sut = mount(DevicesPage, { global: { plugins: [router] } });
    await flushPromises();
    return { sut, router };
  }

  const button = (sut: ReturnType<typeof mount>, text: string) =>
    sut.findAll('button').find((candidate) => candidate.text() === text)!;

  it('lists this device first', async () => {
    const { sut } = await mountPage();

    expect(sut.findAll('li .list__title').map((title) => title.text())).toEqual(['Laptop This device', 'Phone']);
  });

  it('renames a device and keeps the session in sync', async () => {
    fake.on(`PATCH /devices/${laptop.id}`, { status: 200, body: { ...laptop, name: 'Work laptop' } });
    const { sut } = await mountPage();

    await sut.get('button[aria-label="Rename Laptop"]').trigger('click');
    await sut.get(`#device-name-${laptop.id}`).setValue('Work laptop');
    await sut.get('form').trigger('submit');
    await flushPromises();

    expect(fake.callsTo(`PATCH /devices/${laptop.id}`)[0]?.body).toEqual({ name: 'Work laptop' });
    expect(sut.text()).toContain('Device renamed to “Work laptop”.');
    expect(useSessionStore().device?.name).toBe('Work laptop');
  });

  it('removes another device from the list', async () => {
    fake.on(`DELETE /devices/${phone.id}`, { status: 204 });
    const { sut } = await mountPage();

    await button(sut, 'Remove').trigger('click');
    await button(sut, 'Remove').trigger('click');
    await flushPromises();

    expect(sut.get('ul[aria-label="Your devices"]').text()).not.toContain('Phone');
    expect(sut.text()).toContain('Phone was removed.');
    expect(useSessionStore().isAuthenticated).toBe(true);
  });

  it('signs out after removing this device', async () => {
    fake.on(`DELETE /devices/${laptop.id}`, { status: 204 });
    const { sut, router } = await mountPage();

    await button(sut, 'Remove and sign out').trigger('click');
    await button(sut, 'Remove').trigger('click');
    await flushPromises();

    const session = useSessionStore();
    expect(session.isAuthenticated).toBe(false);
    expect(session.hasRememberedDevice('alice')).toBe(false);
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'), { timeout: 5_000 });
  });

  it('shows a friendly error when the device is already gone', async () => {
    fake.on(`DELETE /devices/${phone.id}`, apiError(404, 'DEVICE_NOT_FOUND'));
    const { sut } = await mountPage();

    await button(sut, 'Remove').trigger('click');
    await button(sut, 'Remove').trigger('click');
    await flushPromises();

    expect(
      sut
        .findAll('[role="alert"]')
        .map((alert) => alert.text())
        .filter(Boolean),
    ).toEqual(['That device no longer exists.']);
  });
});
