import { watch, type App } from 'vue';
import { useDeviceKeysStore } from '@/stores/keys.js';
import { useSessionStore } from '@/stores/session.js';

/**
 * Makes sure the signed-in device has keys: on sign-in (or a restored session) the crypto worker
 * creates and uploads them if this browser has none, else replenishes/rotates; on sign-out the
 * worker stops and the keys stay in IndexedDB ("keep this device"). Must run after the Pinia module.
 */
export function install(_app: App): void {
  const session = useSessionStore();
  const keys = useDeviceKeysStore();
  watch(
    () =>
      session.isAuthenticated && session.user && session.device ? `${session.user.id}/${session.device.id}` : null,
    (current, previous) => {
      if (previous) keys.stop();
      if (current && session.user && session.device) {
        void keys.ensure({ userId: session.user.id, deviceId: session.device.id });
      }
    },
    { immediate: true },
  );
}
