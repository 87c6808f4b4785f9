import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import { createAppRouter } from '@/router/index.js';
import { useSessionStore } from '@/stores/session.js';
import { aSession, apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import LoginPage from './LoginPage.vue';

describe('LoginPage', () => {
  let fake: ReturnType<typeof installFakeFetch>;

  beforeEach(() => {
    localStorage.clear();
    fake = installFakeFetch();
    setActivePinia(createPinia());
  });

  async function mountAt(path: string) {
    const router = createAppRouter(createMemoryHistory());
    await router.push(path);
    const sut = mount(LoginPage, { global: { plugins: [router] } });
    return { sut, router };
  }

  async function submit(sut: ReturnType<typeof mount>) {
    await sut.get('#login-handle').setValue('alice');
    await sut.get('#login-password').setValue('correct horse battery');
    await sut.get('form').trigger('submit');
    await flushPromises();
  }

  it('signs in and returns to the page the user came from', async () => {
    fake.on('POST /auth/login', { status: 200, body: aSession() });
    const { sut, router } = await mountAt('/login?redirect=/devices');

    await submit(sut);

    // The devices page is loaded lazily, so the navigation ends a little later.
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/devices'), { timeout: 5_000 });
  });

  it('shows the friendly error and stays on login when the password is wrong', async () => {
    fake.on('POST /auth/login', apiError(401, 'INVALID_CREDENTIALS'));
    const { sut, router } = await mountAt('/login');

    await submit(sut);

    expect(sut.get('[role="alert"]').text()).toBe('Handle or password is wrong.');
    expect(router.currentRoute.value.name).toBe('login');
  });

  it('explains a sign-out caused by a reused refresh token', async () => {
    const { sut } = await mountAt('/login');

    useSessionStore().end('reused');
    await flushPromises();

    expect(sut.text()).toContain('this session was used somewhere else');
  });

  it('explains a sign-out caused by this device being removed elsewhere', async () => {
    const { sut } = await mountAt('/login');

    useSessionStore().endRevoked('revoked');
    await flushPromises();

    expect(sut.text()).toContain('This device was removed from your account');
  });

  it('prefills the handle after registering', async () => {
    const { sut } = await mountAt('/login?registered=1&handle=alice');

    expect((sut.get('#login-handle').element as HTMLInputElement).value).toBe('alice');
    expect(sut.get('[role="status"]').text()).toBe('Account created. Sign in to continue.');
  });
});
