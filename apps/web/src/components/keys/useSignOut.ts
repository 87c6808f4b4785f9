import { ref } from 'vue';
import { api, describeError } from '@/api/index.js';
import { useDeviceKeysStore } from '@/stores/keys.js';
import { useSessionStore } from '@/stores/session.js';

/**
 * The two ways to sign out (issue 6): keep this device (its keys stay, encrypted, in IndexedDB for
 * the next sign-in) or remove it: the api revokes the device (its prekeys are dropped), then the
 * local database and its wrapping key are deleted. Removing needs the network; if the api cannot
 * be reached nothing is wiped, so the device never ends up listed on the server without keys.
 */
export function useSignOut() {
  const session = useSessionStore();
  const keys = useDeviceKeysStore();
  const pending = ref(false);
  const error = ref<string | null>(null);

  async function keepDevice(): Promise<void> {
    await session.logout(); // the device-keys module stops the worker when the session ends
  }

  async function removeDevice(): Promise<boolean> {
    const { user, device } = session;
    if (!user || !device || pending.value) return false;
    pending.value = true;
    error.value = null;
    try {
      await api.deleteDevice(device.id);
      await keys.wipe({ userId: user.id, deviceId: device.id });
      session.endRevoked();
      return true;
    } catch (caught) {
      error.value = describeError(caught);
      return false;
    } finally {
      pending.value = false;
    }
  }

  return { keepDevice, removeDevice, pending, error };
}
