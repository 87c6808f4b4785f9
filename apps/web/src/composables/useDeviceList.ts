import { onMounted, ref } from 'vue';
import type { DeviceDto } from '@pairchat/messaging';
import { api, describeError } from '@/api/index.js';
import { useSessionStore } from '@/stores/session.js';
import type { LoadState } from '@/stores/pairs.js';

/**
 * This account's devices, loaded when the calling component mounts. Revoking the current device
 * ends the session here as well.
 */
export function useDeviceList() {
  const session = useSessionStore();
  const devices = ref<DeviceDto[]>([]);
  const state = ref<LoadState>('idle');
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    state.value = 'loading';
    error.value = null;
    try {
      const list = await api.listDevices();
      devices.value = [...list].sort((a, b) => Number(b.current) - Number(a.current));
      state.value = 'done';
    } catch (caught) {
      error.value = describeError(caught);
      state.value = 'error';
    }
  }

  async function rename(deviceId: string, name: string): Promise<void> {
    const updated = await api.updateDevice(deviceId, { name: name.trim() });
    devices.value = devices.value.map((device) => (device.id === updated.id ? updated : device));
    session.updateDevice(updated);
  }

  async function revoke(deviceId: string): Promise<void> {
    await api.deleteDevice(deviceId);
    if (deviceId === session.device?.id) {
      session.endRevoked();
      return;
    }
    devices.value = devices.value.filter((device) => device.id !== deviceId);
  }

  onMounted(load);

  return { devices, state, error, load, rename, revoke };
}
