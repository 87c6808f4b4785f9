import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from 'vue';
import { REFRESH_TOKEN_KEY, useSessionStore } from '@/stores/session.js';
import { aSession, installFakeFetch } from '@/testing/fake-fetch.js';
import { install } from './session-sync.js';

describe('session-sync module', () => {
  beforeEach(async () => {
    localStorage.clear();
    const fake = installFakeFetch();
    setActivePinia(createPinia());
    fake.on('POST /auth/login', { status: 200, body: aSession() });
    await useSessionStore().login({ handle: 'alice', password: 'correct horse battery' });
    install(createApp({}));
  });

  it('signs out here when another tab removed the refresh token', () => {
    window.dispatchEvent(new StorageEvent('storage', { key: REFRESH_TOKEN_KEY, newValue: null }));

    expect(useSessionStore().isAuthenticated).toBe(false);
  });

  it('stays signed in when another tab only rotated the token', () => {
    window.dispatchEvent(new StorageEvent('storage', { key: REFRESH_TOKEN_KEY, newValue: 'rotated' }));

    expect(useSessionStore().isAuthenticated).toBe(true);
  });
});
