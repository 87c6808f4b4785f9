import { watch, type App } from 'vue';
import { describeProblem, useChatStore } from '@/stores/chat.js';
import { useDeviceKeysStore } from '@/stores/keys.js';
import { useSessionStore } from '@/stores/session.js';

/**
 * Starts the chat once the signed-in device has its keys (it needs its protocol device id), and
 * stops it on sign-out or when the keys stop (wipe). Must run after the device-keys module.
 */
export function install(_app: App): void {
  const session = useSessionStore();
  const keys = useDeviceKeysStore();
  const chat = useChatStore();
  watch(
    () =>
      session.isAuthenticated && session.user && session.device && keys.protocolDeviceId !== null
        ? `${session.user.id}/${session.device.id}/${keys.protocolDeviceId}`
        : null,
    (current, previous) => {
      if (previous) chat.stop();
      if (current && session.user && session.device && keys.protocolDeviceId !== null) {
        chat
          .start({ userId: session.user.id, deviceId: session.device.id, protocolDeviceId: keys.protocolDeviceId })
          // The database did not open (IndexedDB unavailable, private mode...): the chat stays idle.
          .catch((error: unknown) =>
            console.warn(`chat: could not open this device's history (${describeProblem(error)})`),
          );
      }
    },
    { immediate: true },
  );
}
