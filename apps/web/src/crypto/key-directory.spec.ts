// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { ApiClient } from '@/api/client.js';
import { apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import { createKeyDirectory } from './key-directory.js';

const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
const b64 = (length: number, first: number) => btoa(String.fromCharCode(first, ...new Uint8Array(length - 1).fill(7)));

function bundleAnswer() {
  return {
    identityKey: b64(33, 5),
    devices: [
      {
        deviceId: '00000000-0000-4000-8000-000000000001',
        protocolDeviceId: 2,
        registrationId: 77,
        signedPreKey: { keyId: 3, publicKey: b64(33, 5), signature: b64(64, 1) },
        preKey: null,
        kyberPreKey: { keyId: 9, publicKey: b64(1569, 8), signature: b64(64, 1) },
      },
    ],
  };
}

describe('createKeyDirectory', () => {
  it('sends uploads with PUT and reads counts', async () => {
    const http = installFakeFetch()
      .on('PUT /keys', { status: 200, body: { protocolDeviceId: 1 } })
      .on('PUT /keys/identity', { status: 200, body: { protocolDeviceId: 2 } })
      .on('GET /keys/count', { status: 200, body: { protocolDeviceId: 3 } });
    const sut = createKeyDirectory(new ApiClient());
    expect(await sut.uploadKeys({ identityKey: 'BQ==' })).toEqual({ protocolDeviceId: 1 });
    expect(await sut.resetIdentityKey({ identityKey: 'BQ==' })).toEqual({ protocolDeviceId: 2 });
    expect(await sut.getPreKeyCount()).toEqual({ protocolDeviceId: 3 });
    expect(http.callsTo('PUT /keys')[0]!.body).toEqual({ identityKey: 'BQ==' });
  });

  it('claims bundles and checks them against the shared schema', async () => {
    installFakeFetch()
      .on(`GET /keys/${BOB}`, { status: 200, body: bundleAnswer() })
      .on(`GET /keys/${BOB}`, { status: 200, body: { ...bundleAnswer(), extra: true } });
    const sut = createKeyDirectory(new ApiClient());
    expect(await sut.claimPreKeyBundles(BOB)).toEqual(bundleAnswer());
    await expect(sut.claimPreKeyBundles(BOB)).rejects.toMatchObject({ name: 'ZodError' });
  });

  it('passes api errors through with their code', async () => {
    installFakeFetch().on(`GET /keys/${BOB}`, apiError(404, 'KEYS_NOT_FOUND'));
    await expect(createKeyDirectory(new ApiClient()).claimPreKeyBundles(BOB)).rejects.toMatchObject({
      code: 'KEYS_NOT_FOUND',
      status: 404,
    });
  });
});
