import type { ApiClient } from '../api/client.js';
import { createKeyDirectory } from '../crypto/key-directory.js';
import type { ChatDirectory } from './chat-service.js';

/** The key-directory calls of the chat: bundle claims and the non-consuming device lookup. */
export function chatDirectory(client: ApiClient): ChatDirectory {
  const keys = createKeyDirectory(client);
  return {
    claimPreKeyBundles: (userId) => keys.claimPreKeyBundles(userId),
    listDeviceAddresses: async (userId) => {
      const answer = await client.listKeyDevices(userId);
      const { deviceAddressListSchema } = await import('@pairchat/keys');
      return deviceAddressListSchema.parse(answer).devices;
    },
  };
}
