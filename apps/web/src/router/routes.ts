import type { RouteRecordRaw } from 'vue-router';

declare module 'vue-router' {
  interface RouteMeta {
    /** The chat layout: the page fills the window below the header. */
    chat?: boolean;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: { name: 'pairs' } },
  {
    path: '/login',
    name: 'login',
    component: () => import('@/pages/LoginPage.vue'),
    meta: { guestOnly: true, title: 'Sign in' },
  },
  {
    path: '/register',
    name: 'register',
    component: () => import('@/pages/RegisterPage.vue'),
    meta: { guestOnly: true, title: 'Create account' },
  },
  {
    path: '/pairs',
    name: 'pairs',
    component: () => import('@/pages/PairsPage.vue'),
    meta: { requiresAuth: true, title: 'Pairs' },
  },
  {
    path: '/pairs/:userId/safety',
    name: 'safety-number',
    component: () => import('@/pages/SafetyNumberPage.vue'),
    meta: { requiresAuth: true, title: 'Safety number' },
  },
  {
    path: '/chat',
    name: 'chats',
    component: () => import('@/pages/ChatPage.vue'),
    meta: { requiresAuth: true, title: 'Chats', chat: true },
  },
  {
    path: '/chat/:userId',
    name: 'chat',
    component: () => import('@/pages/ChatPage.vue'),
    meta: { requiresAuth: true, title: 'Chat', chat: true },
  },
  {
    path: '/devices',
    name: 'devices',
    component: () => import('@/pages/DevicesPage.vue'),
    meta: { requiresAuth: true, title: 'Devices' },
  },
  {
    path: '/devices/link',
    name: 'device-link',
    component: () => import('@/pages/DeviceLinkPage.vue'),
    meta: { requiresAuth: true, title: 'Link a new device' },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/pages/NotFoundPage.vue'),
    meta: { title: 'Not found' },
  },
];
