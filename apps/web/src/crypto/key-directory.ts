import type { KeysUploadRequest, PreKeyBundleResponse, PreKeyCountResponse } from '@pairchat/keys';
import type { ApiClient } from '../api/client.js';

/** Error codes of the key directory (apps/api/src/keys/keys.errors.ts). */
export const KEYS_ERROR = {
  invalidKeys: 'INVALID_KEYS',
  identityKeyMismatch: 'IDENTITY_KEY_MISMATCH',
  registrationIdMissing: 'REGISTRATION_ID_MISSING',
  keysNotFound: 'KEYS_NOT_FOUND',
  protocolDeviceIdsExhausted: 'PROTOCOL_DEVICE_IDS_EXHAUSTED',
  rateLimited: 'KEY_FETCH_RATE_LIMITED',
} as const;

/** The key directory endpoints (`PUT /keys`, `PUT /keys/identity`, `GET /keys/count`, `GET /keys/:userId`). */
export interface KeyDirectory {
  uploadKeys(body: KeysUploadRequest): Promise<PreKeyCountResponse>;
  resetIdentityKey(body: KeysUploadRequest): Promise<PreKeyCountResponse>;
  getPreKeyCount(): Promise<PreKeyCountResponse>;
  /** A paired user's bundles (claims one-time prekeys), checked against the shared schema. */
  claimPreKeyBundles(userId: string): Promise<PreKeyBundleResponse>;
}

export function createKeyDirectory(client: ApiClient): KeyDirectory {
  return {
    uploadKeys: (body) => client.send<PreKeyCountResponse>('PUT', '/keys', { body }),
    resetIdentityKey: (body) => client.send<PreKeyCountResponse>('PUT', '/keys/identity', { body }),
    getPreKeyCount: () => client.send<PreKeyCountResponse>('GET', '/keys/count'),
    claimPreKeyBundles: async (userId) => {
      const answer = await client.send<unknown>('GET', `/keys/${encodeURIComponent(userId)}`);
      // The schema (zod) loads with the first fetch, keeping it out of the start-up bundle.
      const { preKeyBundleResponseSchema } = await import('@pairchat/keys');
      return preKeyBundleResponseSchema.parse(answer);
    },
  };
}
