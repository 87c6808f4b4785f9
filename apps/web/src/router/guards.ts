import type { NavigationGuardWithThis, RouteLocationRaw } from 'vue-router';
import type { useSessionStore } from '@/stores/session.js';

declare module 'vue-router' {
  interface RouteMeta {
    /** Only for signed-in users; others go to login with a return path. */
    requiresAuth?: boolean;
    /** Only for signed-out users (login, register); others go home. */
    guestOnly?: boolean;
    /** Page title, appended to "Pairchat". */
    title?: string;
  }
}

export const HOME: RouteLocationRaw = { name: 'pairs' };

/** Accepts only same-app paths ("/pairs"), never "//evil.example" or "https://…". */
export function safeRedirect(value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
    return null;
  }
  return value;
}

/** The access guard: resolves the session once, then applies `requiresAuth` / `guestOnly`. */
export function createAuthGuard(session: ReturnType<typeof useSessionStore>): NavigationGuardWithThis<undefined> {
  return async (to) => {
    await session.restore();
    if (to.meta.requiresAuth && !session.isAuthenticated) {
      return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
    }
    if (to.meta.guestOnly && session.isAuthenticated) {
      return safeRedirect(to.query.redirect) ?? HOME;
    }
    return true;
  };
}
