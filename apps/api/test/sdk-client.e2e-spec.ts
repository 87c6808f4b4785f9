import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { type KeysReplenish, MemoryStorage, PairchatClient, type PairchatClientEvents } from '@pairchat/messaging';
import request from 'supertest';
import { RotationService } from '../src/rotation/rotation.service.js';
import { keyUpload } from './utils/keys.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, loginAs, TestUser } from './utils/users.js';

// The SDK's key-maintenance events and the revoked-device refusal against the real gateway (the
// web chat drives DeviceKeys.maintain() and the revoked sign-out from these).

const DAY = 86_400_000;

describeE2E('SDK key events and revocation', () => {
  let sut: TestApp;
  let url: string;
  const clients: PairchatClient[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000', KEY_FETCH_BUCKET_SIZE: '1000' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await sut.close();
  });

  function client(user: TestUser): PairchatClient {
    const sdk = new PairchatClient({
      url,
      getAccessToken: () => user.session.accessToken,
      storage: new MemoryStorage(),
      onEnvelope: () => undefined,
      socket: { transports: ['websocket'] },
    });
    clients.push(sdk);
    return sdk;
  }

  function next<E extends keyof PairchatClientEvents>(sdk: PairchatClient, event: E): Promise<unknown[]> {
    return new Promise((resolve) => {
      const off = sdk.on(event, ((...args: unknown[]) => {
        off();
        resolve(args);
      }) as PairchatClientEvents[E]);
    });
  }

  async function pairedUsers(): Promise<[TestUser, TestUser]> {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    const req = (
      await request(sut.http).post('/pairs/requests').set('Authorization', alice.bearer).send({ handle: bob.handle })
    ).body.request;
    await request(sut.http).post(`/pairs/requests/${req.id}/accept`).set('Authorization', bob.bearer).expect(200);
    return [alice, bob];
  }

  it('surfaces keys:replenish and keys:rotate as keys-replenish and keys-rotate', async () => {
    const [alice, bob] = await pairedUsers();
    await request(sut.http)
      .put('/keys')
      .set('Authorization', alice.bearer)
      .send(keyUpload(IdentityKeyPair.generate(), { ec: 11, kyber: 11 }))
      .expect(200);
    const sdk = client(alice);
    const connected = next(sdk, 'connected');
    await sdk.connect();
    await connected;

    const replenish = next(sdk, 'keys-replenish');
    await request(sut.http).get(`/keys/${alice.id}`).set('Authorization', bob.bearer).expect(200);
    await request(sut.http).get(`/keys/${alice.id}`).set('Authorization', bob.bearer).expect(200);
    expect(await replenish).toEqual([{ ecPreKeys: 9, kyberPreKeys: 9 } satisfies KeysReplenish]);

    const rotate = next(sdk, 'keys-rotate');
    await sut.app.get(RotationService).sweep(new Date(Date.now() + 2 * DAY + 1000));
    const [notice] = await rotate;
    expect(notice).toMatchObject({ reason: 'due' });
  });

  it('reports DEVICE_REVOKED as auth-failed once the device was removed', async () => {
    const alice = await createUser(sut, 'alice');
    const other = await loginAs(sut, alice.handle);
    await request(sut.http).delete(`/devices/${alice.deviceId}`).set('Authorization', other.bearer).expect(204);
    const sdk = client(alice);
    const failed = next(sdk, 'auth-failed');
    await sdk.connect();
    expect(await failed).toEqual(['DEVICE_REVOKED']);
  });
});
