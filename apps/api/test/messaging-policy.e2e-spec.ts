import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { MessageSendAck } from '@pairchat/messaging';
import request from 'supertest';
import { connectSocket, fakeCiphertext, TestSocket } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, TestUser } from './utils/users.js';

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
  });
  const outcome = async (from: TestSocket, to: TestUser) => {
    const answer = (await from.emitWithAck('message:send', {
      clientMessageId: randomUUID(),
      recipientUserId: to.id,
      envelopes: [{ deviceId: to.deviceId, registrationId: REGISTRATION_ID, type: 3, ciphertext: fakeCiphertext() }],
    })) as MessageSendAck | { ok: false; error: { code: string } };
    return answer.ok ? 'sent' : answer.error.code;
  };

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
});
