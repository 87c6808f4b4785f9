import type { App } from 'vue';
import { REFRESH_TOKEN_KEY, useSessionStore } from '@/stores/session.js';

/** When another tab signs out (the stored refresh token disappears), sign out here too. */
export function install(_app: App): void {
  const session = useSessionStore();
  window.addEventListener('storage', (event) => {
    if (event.key === REFRESH_TOKEN_KEY && event.newValue === null && session.isAuthenticated) {
      session.end(null);
    }
  });
}
