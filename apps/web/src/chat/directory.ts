import type { ApiClient } from '../api/client.js';
import { createKeyDirectory } from '../crypto/key-directory.js';
import type { ChatDirectory } from './chat-service.js';

/** The key-directory calls of the chat: bundle claims and the non-consuming device lookup. */
export function chatDirectory(client: ApiClient): ChatDirectory {
  const keys = createKeyDirectory(client);
  return {
    claimPreKeyBundles: async (userId, deviceIds) => {
      if (!deviceIds) return keys.claimPreKeyBundles(userId);
      // Only the devices without a session: the others keep their one-time prekeys.
      const query = `?deviceIds=${deviceIds.map(encodeURIComponent).join(',')}`;
      const answer = await client.send<unknown>('GET', `/keys/${encodeURIComponent(userId)}${query}`);
      const { preKeyBundleResponseSchema } = await import('@pairchat/keys');
      return preKeyBundleResponseSchema.parse(answer);
    },
    listDeviceAddresses: async (userId) => {
      const answer = await client.listKeyDevices(userId);
      const { deviceAddressListSchema } = await import('@pairchat/keys');
      return deviceAddressListSchema.parse(answer).devices;
    },
  };
}
