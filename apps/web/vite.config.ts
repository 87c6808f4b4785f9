import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** Paths the api answers; `vite dev` forwards them so the app keeps using relative URLs. */
const API_PATHS = ['/auth', '/me', '/devices', '/pairs', '/blocks', '/keys', '/health', '/api', '/socket.io'];
const API_TARGET = process.env.PAIRCHAT_API_URL ?? 'http://localhost:3000';

/** /pairs and /devices are app routes too: a page load (Accept: text/html) stays with vite. */
const keepPageLoads = (req: IncomingMessage) =>
  req.method === 'GET' && req.headers.accept?.includes('text/html') ? '/index.html' : undefined;

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      // Source, not dist: the web build must not need a prior `tsc -b` of the libs.
      '@pairchat/messaging': fileURLToPath(new URL('../../libs/messaging/src/index.ts', import.meta.url)),
      // Browser-safe entry points only: `@pairchat/crypto/native` (libsignal-client) maps to a
      // path that does not exist, so importing it fails the build.
      '@pairchat/crypto': fileURLToPath(new URL('../../libs/crypto/src/index.ts', import.meta.url)),
      '@pairchat/keys': fileURLToPath(new URL('../../libs/keys/src/index.ts', import.meta.url)),
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  server: {
    proxy: Object.fromEntries(
      API_PATHS.map((path) => [
        path,
        {
          target: API_TARGET,
          ws: path === '/socket.io',
          bypass: path === '/api' || path === '/socket.io' ? undefined : keepPageLoads,
        },
      ]),
    ),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: {
      treeshake: {
        // The libs' modules only declare things, so whatever the app does not import (socket SDK,
        // zod schemas) stays out of the bundle until a feature uses it.
        moduleSideEffects: (id: string) => !/[\\/]libs[\\/][^\\/]+[\\/]src[\\/]/.test(id),
      },
    },
  },
});
