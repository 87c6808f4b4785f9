import type { App } from 'vue';
import { createAppRouter } from '@/router/index.js';

/** Must run after the Pinia module: the router reads the session store. */
export function install(app: App): void {
  app.use(createAppRouter());
}
