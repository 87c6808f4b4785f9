import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { MessageSendAck } from '@pairchat/messaging';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import request from 'supertest';
import { keyUpload } from './utils/keys.js';
import { connectSocket, fakeCiphertext, TestSocket } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, loginAs, TestUser } from './utils/users.js';

// The send-policy cache lives a minute here: only its invalidation can make pairing changes count at once.
/** keyUpload's default registration id; a device without keys takes any. */
const REGISTRATION_ID = 4242;

describeE2E('send policy cache', () => {
  let sut: TestApp;
  let url: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000', MESSAGE_POLICY_CACHE_MS: '60000' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await sut.close();
  });

  const as = (user: TestUser) => ({
    post: (path: string, body: object) => request(sut.http).post(path).set('Authorization', user.bearer).send(body),
    delete: (path: string) => request(sut.http).delete(path).set('Authorization', user.bearer),
    put: (path: string, body: object) => request(sut.http).put(path).set('Authorization', user.bearer).send(body),
    patch: (path: string, body: object) => request(sut.http).patch(path).set('Authorization', user.bearer).send(body),
  });
  const outcome = async (from: TestSocket, to: TestUser, deviceIds = [to.deviceId]) => {
    const answer = (await from.emitWithAck('message:send', {
      clientMessageId: randomUUID(),
      recipientUserId: to.id,
      envelopes: deviceIds.map((deviceId) => ({
        deviceId,
        registrationId: REGISTRATION_ID,
        type: 3,
        ciphertext: fakeCiphertext(),
      })),
    })) as MessageSendAck | { ok: false; error: { code: string; details?: unknown } };
    return answer.ok ? 'sent' : answer.error.code;
  };
  async function pair(a: TestUser, b: TestUser): Promise<void> {
    const req = (await as(a).post('/pairs/requests', { handle: b.handle }).expect(201)).body.request;
    await as(b).post(`/pairs/requests/${req.id}/accept`, {}).expect(200);
  }

  it('applies a pairing, a block, an unblock and an unpair to the next send', async () => {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    const a = await connectSocket(url, alice.session.accessToken);
    sockets.push(a);
    expect(await outcome(a, bob)).toBe('NOT_PAIRED'); // cached "not paired" ...
    const req = (await as(alice).post('/pairs/requests', { handle: bob.handle }).expect(201)).body.request;
    const pair = (await as(bob).post(`/pairs/requests/${req.id}/accept`, {}).expect(200)).body as { id: string };
    expect(await outcome(a, bob)).toBe('sent'); // ... dropped by the pairing
    await as(bob).post('/blocks', { userId: alice.id }).expect(204);
    expect(await outcome(a, bob)).toBe('NOT_PAIRED');
    await as(bob).delete(`/blocks/${alice.id}`).expect(204);
    expect(await outcome(a, bob)).toBe('sent');
    await as(alice).delete(`/pairs/${pair.id}`).expect(204);
    expect(await outcome(a, bob)).toBe('NOT_PAIRED');
  });

  it('applies a first key upload, a registration id change and a revocation to the next send', async () => {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    await pair(alice, bob);
    const identity = IdentityKeyPair.generate();
    await as(bob).put('/keys', keyUpload(identity)).expect(200);
    const a = await connectSocket(url, alice.session.accessToken);
    sockets.push(a);
    expect(await outcome(a, bob)).toBe('sent'); // bob's device list is cached now ...
    const phone = await loginAs(sut, bob.handle);
    await as(phone).put('/keys', keyUpload(identity)).expect(200);
    expect(await outcome(a, bob)).toBe('DEVICES_MISMATCH'); // ... and dropped: the phone is required
    expect(await outcome(a, bob, [bob.deviceId, phone.deviceId])).toBe('sent');
    await as(phone)
      .patch(`/devices/${phone.deviceId}`, { registrationId: REGISTRATION_ID + 1 })
      .expect(200);
    expect(await outcome(a, bob, [bob.deviceId, phone.deviceId])).toBe('DEVICES_MISMATCH'); // stale
    await as(bob).delete(`/devices/${phone.deviceId}`).expect(204);
    expect(await outcome(a, bob)).toBe('sent');
  });
});
