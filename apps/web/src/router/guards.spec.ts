import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import { aSession, installFakeFetch } from '@/testing/fake-fetch.js';
import { REFRESH_TOKEN_KEY, useSessionStore } from '@/stores/session.js';
import { createAppRouter } from './index.js';
import { safeRedirect } from './guards.js';

describe('router guards', () => {
  let fake: ReturnType<typeof installFakeFetch>;

  beforeEach(() => {
    localStorage.clear();
    fake = installFakeFetch();
    setActivePinia(createPinia());
  });

  const sut = () => createAppRouter(createMemoryHistory());

  it('sends a signed-out visitor of a private page to login with the return path', async () => {
    const router = sut();

    await router.push('/devices?tab=all');

    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/devices?tab=all');
  });

  it('lets a signed-out visitor open login and register', async () => {
    const router = sut();

    await router.push('/register');

    expect(router.currentRoute.value.name).toBe('register');
  });

  it('restores the session from the stored refresh token before deciding', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    fake.on('POST /auth/refresh', { status: 200, body: aSession() });
    const router = sut();

    await router.push('/devices');

    expect(router.currentRoute.value.name).toBe('devices');
  });

  it('sends a signed-in user away from login, to the return path when it is safe', async () => {
    fake.on('POST /auth/login', { status: 200, body: aSession() });
    await useSessionStore().login({ handle: 'alice', password: 'correct horse battery' });
    const router = sut();

    await router.push('/login?redirect=/devices');
    expect(router.currentRoute.value.name).toBe('devices');

    await router.push('/login?redirect=//evil.example/phish');
    expect(router.currentRoute.value.name).toBe('pairs');
  });

  it('moves the user to login when the session ends on a private page', async () => {
    fake.on('POST /auth/login', { status: 200, body: aSession() });
    const session = useSessionStore();
    await session.login({ handle: 'alice', password: 'correct horse battery' });
    const router = sut();
    await router.push('/pairs');

    session.end('reused');
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(router.currentRoute.value.name).toBe('login');
  });
});

describe(safeRedirect.name, () => {
  it.each([
    ['/pairs', '/pairs'],
    ['/devices?x=1', '/devices?x=1'],
    ['//evil.example', null],
    ['/\\evil.example', null],
    ['https://evil.example', null],
    [undefined, null],
    [['/pairs'], null],
  ])('maps %j to %j', (input, expected) => {
    expect(safeRedirect(input)).toBe(expected);
  });
});
