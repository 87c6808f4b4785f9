// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { tsEngine } from '@pairchat/crypto';
import { decodeKeysUpload, type KeysUploadRequest, type PreKeyCountResponse, verifyKeysUpload } from '@pairchat/keys';
import type { DeviceLinkCompleteRequestDto, DeviceLinkDto, DeviceLinkSealedDto } from '@pairchat/messaging';
import { ApiClient } from '@/api/client.js';
import { ApiError } from '@/api/errors.js';
import { apiError, installFakeFetch } from '@/testing/fake-fetch.js';
import { type DeviceLinkApi, waitForSealedIdentity } from './device-link-api.js';
import { parseDeviceLinkCode, toBase64, toBase64Url } from './device-link-code.js';
import { DeviceKeys } from './device-keys.js';
import { EngineClient } from './engine-client.js';
import { fakeEngineWorker } from './fake-engine-worker.js';
import { createKeyDirectory } from './key-directory.js';

const USER = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const OLD_DEVICE = { userId: USER, deviceId: '00000000-0000-4000-8000-00000000b001' };
const NEW_DEVICE = { userId: USER, deviceId: '00000000-0000-4000-8000-00000000b002' };
const counts = (protocolDeviceId: number): PreKeyCountResponse => ({
  ecPreKeys: 100,
  kyberPreKeys: 100,
  protocolDeviceId,
  replenish: false,
  signedPreKeyUploadedAt: '2026-11-25T10:00:00.000Z',
  lastResortKyberPreKeyUploadedAt: '2026-11-25T10:00:00.000Z',
  rotationDue: false,
});

/** The server's linking rules in memory: what the client relies on (single use, sealed only for the new device). */
function fakeLinkServer() {
  const links = new Map<string, { token: string; sealed: DeviceLinkSealedDto | null }>();
  /** Every request body the server received: what it can know. */
  const seen: unknown[] = [];
  const dto = (linkId: string): DeviceLinkDto => {
    const link = links.get(linkId);
    if (!link) throw new ApiError(404, 'LINK_NOT_FOUND', 'no such device link');
    return {
      linkId,
      deviceId: NEW_DEVICE.deviceId,
      deviceName: 'Phone',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      status: link.sealed ? 'completed' : 'pending',
      sealed: link.sealed,
    };
  };
  const api: DeviceLinkApi = {
    create: async (...args: unknown[]) => {
      seen.push(args);
      const linkId = crypto.randomUUID();
      const token = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
      links.set(linkId, { token, sealed: null });
      return { linkId, linkToken: token, expiresAt: new Date(Date.now() + 600_000).toISOString() };
    },
    get: async (linkId) => dto(linkId),
    complete: async (linkId, body: DeviceLinkCompleteRequestDto) => {
      seen.push(body);
      const link = links.get(linkId);
      if (!link) throw new ApiError(404, 'LINK_NOT_FOUND', 'no such device link');
      if (link.token !== body.linkToken) throw new ApiError(403, 'LINK_TOKEN_INVALID', 'bad token');
      if (link.sealed) throw new ApiError(409, 'LINK_ALREADY_USED', 'used');
      link.sealed = { ...body, completedAt: new Date().toISOString() };
      return { ...dto(linkId), sealed: null };
    },
    remove: async (linkId) => void links.delete(linkId),
  };
  return { api, links, seen };
}

describe('linking a second device (two worker-backed devices)', () => {
  it('moves the identity into the new device, which then publishes its own valid prekeys', async () => {
    const http = installFakeFetch();
    const engines = [new EngineClient(fakeEngineWorker().worker), new EngineClient(fakeEngineWorker().worker)];
    const [oldKeys, newKeys] = engines.map(
      (engine) => new DeviceKeys({ engine, directory: createKeyDirectory(new ApiClient()) }),
    );
    let accountIdentity: string | null = null;
    const uploads: KeysUploadRequest[] = [];
    http.on('PUT /keys', async (call) => {
      const body = call.body as KeysUploadRequest;
      expect(await verifyKeysUpload(decodeKeysUpload(body), tsEngine.keys)).toEqual([]);
      uploads.push(body);
      accountIdentity ??= body.identityKey;
      if (body.identityKey !== accountIdentity) return apiError(409, 'IDENTITY_KEY_MISMATCH');
      return { status: 200, body: counts(uploads.length === 1 ? 1 : 2) };
    });

    const ready = await oldKeys.ensure(OLD_DEVICE);
    expect(ready.phase).toBe('ready');
    expect(await newKeys.ensure(NEW_DEVICE)).toEqual({ phase: 'identity-conflict' });
    const before = await engines[1].status();

    const server = fakeLinkServer();
    const { linkId, code } = await newKeys.beginLink(server.api);
    expect(parseDeviceLinkCode(code).linkId).toBe(linkId);
    // The new device's key and code secret are in the code only, never in what the server got.
    const { ephemeralPublicKey, codeSecret } = parseDeviceLinkCode(code);

    const sealed = await engines[0].sealIdentityForLink(code);
    expect(JSON.stringify(sealed)).not.toContain((await engines[0].status()).identityKey);
    await server.api.complete(sealed.linkId, sealed.body);
    await expect(server.api.complete(sealed.linkId, sealed.body)).rejects.toMatchObject({ code: 'LINK_ALREADY_USED' });

    const told = JSON.stringify(server.seen);
    expect(told).not.toContain(toBase64(ephemeralPublicKey));
    expect(told).not.toContain(toBase64(codeSecret));
    expect(told).not.toContain(toBase64Url(codeSecret));
    const arrived = await waitForSealedIdentity(server.api, linkId, { pollMs: 5 });
    const { state, confirmation } = await newKeys.completeLink(linkId, arrived);
    expect(state).toMatchObject({ phase: 'ready', protocolDeviceId: 2 });
    expect(confirmation).toBe(sealed.confirmation);

    const after = await engines[1].status();
    expect(after.identityKey).toBe((await engines[0].status()).identityKey);
    expect(after.registrationId).toBe(before.registrationId);
    const last = uploads.at(-1)!;
    expect(last.identityKey).toBe(accountIdentity);
    expect(last.registrationId).toBe(before.registrationId);
    expect(http.calls.every((call) => !JSON.stringify(call.body ?? '').includes('privateKey'))).toBe(true);
  }, 120_000);

  it('refuses to import without the link key of this worker, and does not import twice', async () => {
    installFakeFetch();
    const sender = new EngineClient(fakeEngineWorker().worker);
    const receiver = new EngineClient(fakeEngineWorker().worker);
    await sender.open('pairchat-device-sender', USER);
    await sender.createIdentity();
    await receiver.open('pairchat-device-receiver', USER);
    const server = fakeLinkServer();
    const key = await receiver.createLinkKey();
    const created = await server.api.create();
    const code = `${created.linkId}.${created.linkToken}.${toBase64Url(key.ephemeralPublicKey)}.${toBase64Url(key.codeSecret)}`;
    // A completion by someone who knows all the server knows, even the key, but not the code secret:
    const guessed = `${created.linkId}.${created.linkToken}.${toBase64Url(key.ephemeralPublicKey)}.${toBase64Url(new Uint8Array(32))}`;
    const forged = await sender.sealIdentityForLink(guessed);
    await expect(receiver.importLinkedIdentity({ linkId: created.linkId, sealed: forged.body })).rejects.toThrow(
      'could not be decrypted',
    );
    expect((await receiver.status()).hasIdentity).toBe(false);

    const { body } = await sender.sealIdentityForLink(code);
    const link = { linkId: created.linkId, sealed: body };

    await receiver.createLinkKey(); // a new code replaces the key the first one was sealed to
    await expect(receiver.importLinkedIdentity(link)).rejects.toThrow('could not be decrypted');
    expect((await receiver.status()).hasIdentity).toBe(false);

    const fresh = new EngineClient(fakeEngineWorker().worker);
    await fresh.open('pairchat-device-fresh', USER);
    await expect(fresh.importLinkedIdentity(link)).rejects.toThrow('no link code is open');
  }, 60_000);

  it('stops waiting with an error when the code expires unused', async () => {
    const server = fakeLinkServer();
    const expired: DeviceLinkApi = {
      ...server.api,
      get: async (linkId) => ({ ...(await server.api.get(linkId)), status: 'expired' }),
    };
    const { linkId } = await server.api.create();
    await expect(waitForSealedIdentity(expired, linkId, { pollMs: 5 })).rejects.toThrow('expired');
  });
});
