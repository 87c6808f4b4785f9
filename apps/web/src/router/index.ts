import { watch } from 'vue';
import { createRouter, createWebHistory, type RouterHistory } from 'vue-router';
import { useSessionStore } from '@/stores/session.js';
import { createAuthGuard } from './guards.js';
import { routes } from './routes.js';

/**
 * The app router. Needs an active Pinia. When the session ends while the user is on a
 * signed-in page (logout, revoked device, reused refresh token), it moves them to login.
 */
export function createAppRouter(history: RouterHistory = createWebHistory(import.meta.env.BASE_URL)) {
  const router = createRouter({ history, routes });
  const session = useSessionStore();

  router.beforeEach(createAuthGuard(session));
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · Pairchat` : 'Pairchat';
  });

  watch(
    () => session.status,
    (status) => {
      const current = router.currentRoute.value;
      if (status === 'anonymous' && current.meta.requiresAuth) {
        void router.replace({ name: 'login' });
      }
    },
  );

  return router;
}
