import type { KeyValueStorage } from '@pairchat/messaging';
import type { HistoryStore } from './history-store.js';

/**
 * The realtime client's storage (outbox of ciphertexts, handled envelope ids) inside this device's
 * encrypted history database, so it is encrypted at rest and wiped with the device.
 */
export function historyStorage(history: HistoryStore): KeyValueStorage {
  return {
    getItem: (key) => history.getState<string>(`sdk:${key}`),
    setItem: (key, value) => history.setState(`sdk:${key}`, value),
    removeItem: (key) => history.deleteState(`sdk:${key}`),
  };
}
