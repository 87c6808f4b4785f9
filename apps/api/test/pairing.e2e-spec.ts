import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { PairingService } from '../src/pairing/pairing.service.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, TestUser } from './utils/users.js';

describeE2E('pairing', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '10000' });
  });
  afterAll(() => sut.close());

  const as = (user: TestUser) => ({
    get: (path: string) => request(sut.http).get(path).set('Authorization', user.bearer),
    post: (path: string, body?: object) => request(sut.http).post(path).set('Authorization', user.bearer).send(body),
    delete: (path: string) => request(sut.http).delete(path).set('Authorization', user.bearer),
  });
  const ask = (from: TestUser, to: TestUser) => as(from).post('/pairs/requests', { handle: to.handle });
  const canCommunicate = (a: TestUser, b: TestUser) => sut.app.get(PairingService).canCommunicate(a.id, b.id);

  async function pair(a: TestUser, b: TestUser): Promise<string> {
    const req = (await ask(a, b).expect(201)).body.request;
    return (await as(b).post(`/pairs/requests/${req.id}/accept`).expect(200)).body.id;
  }

  describe('POST /pairs/requests', () => {
    it('creates a pending request both sides see', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      const res = await as(alice).post('/pairs/requests', { handle: bob.handle.toUpperCase() }).expect(201);
      expect(res.body).toEqual({
        request: {
          id: expect.any(String),
          from: { id: alice.id, handle: alice.handle, createdAt: expect.any(String) },
          to: { id: bob.id, handle: bob.handle, createdAt: expect.any(String) },
          status: 'pending',
          createdAt: expect.any(String),
        },
      });
      const mine = await as(alice).get('/pairs/requests').expect(200);
      expect(mine.body).toEqual({ incoming: [], outgoing: [res.body.request] });
      const theirs = await as(bob).get('/pairs/requests').expect(200);
      expect(theirs.body).toEqual({ incoming: [res.body.request], outgoing: [] });
      expect(await canCommunicate(alice, bob)).toBe(false);
    });

    it("accepts the other's pending request instead of creating a second one", async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      await ask(alice, bob).expect(201);
      const res = await ask(bob, alice).expect(201);
      expect(res.body).toEqual({
        pair: {
          id: expect.any(String),
          user: expect.objectContaining({ id: alice.id }),
          createdAt: expect.any(String),
          blocked: false,
        },
      });
      expect((await as(alice).get('/pairs/requests')).body).toEqual({ incoming: [], outgoing: [] });
      expect((await as(alice).get('/pairs')).body).toEqual([
        expect.objectContaining({ id: res.body.pair.id, user: expect.objectContaining({ id: bob.id }) }),
      ]);
      expect(await canCommunicate(alice, bob)).toBe(true);
    });

    it('answers 409 REQUEST_EXISTS for a repeated request and 409 ALREADY_PAIRED once paired', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      await ask(alice, bob).expect(201);
      expect((await ask(alice, bob).expect(409)).body.code).toBe('REQUEST_EXISTS');
      await ask(bob, alice).expect(201);
      expect((await ask(alice, bob).expect(409)).body.code).toBe('ALREADY_PAIRED');
      expect((await ask(bob, alice).expect(409)).body.code).toBe('ALREADY_PAIRED');
    });

    it('lets concurrent duplicate requests create exactly one', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      const results = await Promise.all(Array.from({ length: 6 }, () => ask(alice, bob)));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      expect((await as(bob).get('/pairs/requests')).body.incoming).toHaveLength(1);
    });

    it('makes one pair when both ask each other at the same time', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      const results = await Promise.all([ask(alice, bob), ask(bob, alice)]);
      expect(results.map((r) => r.status)).toEqual([201, 201]);
      const [pairsA, pairsB] = [(await as(alice).get('/pairs')).body, (await as(bob).get('/pairs')).body];
      expect(pairsA).toHaveLength(1);
      expect(pairsB).toHaveLength(1);
      expect(pairsA[0].id).toBe(pairsB[0].id);
      expect((await as(alice).get('/pairs/requests')).body).toEqual({ incoming: [], outgoing: [] });
    });

    it('answers 404 USER_NOT_FOUND and 400 CANNOT_PAIR_WITH_SELF', async () => {
      const alice = await createUser(sut, 'alice');
      expect((await as(alice).post('/pairs/requests', { handle: 'nobody_here_x' }).expect(404)).body.code).toBe(
        'USER_NOT_FOUND',
      );
      expect((await as(alice).post('/pairs/requests', { handle: '!!bad' }).expect(404)).body.code).toBe(
        'USER_NOT_FOUND',
      );
      expect((await as(alice).post('/pairs/requests', { handle: alice.handle }).expect(400)).body.code).toBe(
        'CANNOT_PAIR_WITH_SELF',
      );
    });

    it.each([
      ['a missing handle', {}],
      ['a number handle', { handle: 1 }],
      ['an unknown field', { handle: 'bob', note: 'hi' }],
    ])('rejects %s with VALIDATION_FAILED', async (_why, body) => {
      const alice = await createUser(sut, 'alice');
      expect((await as(alice).post('/pairs/requests', body).expect(400)).body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('answering requests', () => {
    it('accept: only the recipient; the pair appears for both', async () => {
      const [alice, bob, eve] = [
        await createUser(sut, 'alice'),
        await createUser(sut, 'bob'),
        await createUser(sut, 'eve'),
      ];
      const req = (await ask(alice, bob).expect(201)).body.request;
      for (const outsider of [alice, eve]) {
        const res = await as(outsider).post(`/pairs/requests/${req.id}/accept`).expect(404);
        expect(res.body.code).toBe('REQUEST_NOT_FOUND');
      }
      const accepted = await as(bob).post(`/pairs/requests/${req.id}/accept`).expect(200);
      expect(accepted.body).toEqual({
        id: expect.any(String),
        user: expect.objectContaining({ id: alice.id }),
        createdAt: expect.any(String),
        blocked: false,
      });
      const alicePairs = (await as(alice).get('/pairs').expect(200)).body;
      expect(alicePairs).toEqual([{ ...accepted.body, user: expect.objectContaining({ id: bob.id }) }]);
      await as(bob).post(`/pairs/requests/${req.id}/accept`).expect(404);
    });

    it('decline: only the recipient; the request disappears for both', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      const req = (await ask(alice, bob).expect(201)).body.request;
      await as(alice).post(`/pairs/requests/${req.id}/decline`).expect(404);
      await as(bob).post(`/pairs/requests/${req.id}/decline`).expect(204);
      expect((await as(alice).get('/pairs/requests')).body.outgoing).toEqual([]);
      expect((await as(bob).get('/pairs/requests')).body.incoming).toEqual([]);
      await as(bob).post(`/pairs/requests/${req.id}/decline`).expect(404);
      await ask(alice, bob).expect(201);
    });

    it('cancel: only the sender', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      const req = (await ask(alice, bob).expect(201)).body.request;
      expect((await as(bob).delete(`/pairs/requests/${req.id}`).expect(404)).body.code).toBe('REQUEST_NOT_FOUND');
      await as(alice).delete(`/pairs/requests/${req.id}`).expect(204);
      expect((await as(bob).get('/pairs/requests')).body.incoming).toEqual([]);
      await as(alice).delete(`/pairs/requests/${req.id}`).expect(404);
    });

    it.each(['accept', 'decline', 'cancel'])('%s: 404 for an unknown id, 400 for a malformed one', async (action) => {
      const alice = await createUser(sut, 'alice');
      const call = (id: string) =>
        action === 'cancel'
          ? as(alice).delete(`/pairs/requests/${id}`)
          : as(alice).post(`/pairs/requests/${id}/${action}`);
      expect((await call(randomUUID()).expect(404)).body.code).toBe('REQUEST_NOT_FOUND');
      expect((await call('x').expect(400)).body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('DELETE /pairs/:id', () => {
    it('either member may unpair; outsiders get 404', async () => {
      const [alice, bob, eve] = [
        await createUser(sut, 'alice'),
        await createUser(sut, 'bob'),
        await createUser(sut, 'eve'),
      ];
      const pairId = await pair(alice, bob);
      expect((await as(eve).delete(`/pairs/${pairId}`).expect(404)).body.code).toBe('PAIR_NOT_FOUND');
      expect(await canCommunicate(alice, bob)).toBe(true);
      await as(bob).delete(`/pairs/${pairId}`).expect(204);
      expect((await as(alice).get('/pairs')).body).toEqual([]);
      expect(await canCommunicate(alice, bob)).toBe(false);
      await as(alice).delete(`/pairs/${pairId}`).expect(404);
      await as(alice).delete('/pairs/nope').expect(400);
    });
  });

  describe('blocks', () => {
    it('blocking is idempotent, listed for the blocker and lifts with unblock', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      await as(alice).post('/blocks', { userId: bob.id }).expect(204);
      await as(alice).post('/blocks', { userId: bob.id }).expect(204);
      expect((await as(alice).get('/blocks').expect(200)).body).toEqual([
        { id: bob.id, handle: bob.handle, createdAt: expect.any(String) },
      ]);
      expect((await as(bob).get('/blocks').expect(200)).body).toEqual([]);
      await as(alice).delete(`/blocks/${bob.id}`).expect(204);
      await as(alice).delete(`/blocks/${bob.id}`).expect(204);
      expect((await as(alice).get('/blocks')).body).toEqual([]);
    });

    it('stops communication in both directions while the pair stays; only the blocker sees blocked=true', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      const pairId = await pair(alice, bob);
      const bobPairsBefore = (await as(bob).get('/pairs')).body;
      await as(alice).post('/blocks', { userId: bob.id }).expect(204);
      expect(await canCommunicate(alice, bob)).toBe(false);
      expect(await canCommunicate(bob, alice)).toBe(false);
      expect((await as(alice).get('/pairs')).body).toEqual([expect.objectContaining({ id: pairId, blocked: true })]);
      expect((await as(bob).get('/pairs')).body).toEqual(bobPairsBefore);
      await as(alice).delete(`/blocks/${bob.id}`).expect(204);
      expect(await canCommunicate(alice, bob)).toBe(true);
    });

    it('silences requests from a blocked user: they see them pending, the blocker never sees them', async () => {
      const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
      const before = (await ask(bob, alice).expect(201)).body.request;
      await as(alice).post('/blocks', { userId: bob.id }).expect(204);
      expect((await as(alice).get('/pairs/requests')).body.incoming).toEqual([]);
      expect((await as(bob).get('/pairs/requests')).body.outgoing).toEqual([before]);
      expect((await as(alice).post(`/pairs/requests/${before.id}/accept`).expect(404)).body.code).toBe(
        'REQUEST_NOT_FOUND',
      );
      expect((await as(alice).post(`/pairs/requests/${before.id}/decline`).expect(404)).body.code).toBe(
        'REQUEST_NOT_FOUND',
      );
      await as(bob).delete(`/pairs/requests/${before.id}`).expect(204);

      const after = await ask(bob, alice).expect(201);
      expect(after.body).toEqual({
        request: expect.objectContaining({ from: expect.objectContaining({ id: bob.id }), status: 'pending' }),
      });
      expect((await ask(bob, alice).expect(409)).body.code).toBe('REQUEST_EXISTS');
      expect((await as(alice).get('/pairs/requests')).body.incoming).toEqual([]);
      expect((await as(bob).get('/pairs/requests')).body.outgoing).toEqual([after.body.request]);
      await as(alice).delete(`/blocks/${bob.id}`).expect(204);
      expect((await as(alice).get('/pairs/requests')).body.incoming).toEqual([]);
    });

    it('answers 404 USER_NOT_FOUND and 400 VALIDATION_FAILED (also for blocking myself)', async () => {
      const alice = await createUser(sut, 'alice');
      expect((await as(alice).post('/blocks', { userId: randomUUID() }).expect(404)).body.code).toBe('USER_NOT_FOUND');
      expect((await as(alice).post('/blocks', { userId: alice.id }).expect(400)).body).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { fields: [{ field: 'userId' }] },
      });
      for (const body of [{}, { userId: 'nope' }, { userId: 5 }, { userId: alice.id, extra: 1 }]) {
        expect((await as(alice).post('/blocks', body).expect(400)).body.code).toBe('VALIDATION_FAILED');
      }
      expect((await as(alice).delete('/blocks/nope').expect(400)).body.code).toBe('VALIDATION_FAILED');
      await as(alice).delete(`/blocks/${randomUUID()}`).expect(204);
    });
  });

  it('every pairing route requires an access token', async () => {
    const id = randomUUID();
    const calls = [
      request(sut.http).post('/pairs/requests').send({ handle: 'x' }),
      request(sut.http).get('/pairs/requests'),
      request(sut.http).post(`/pairs/requests/${id}/accept`),
      request(sut.http).post(`/pairs/requests/${id}/decline`),
      request(sut.http).delete(`/pairs/requests/${id}`),
      request(sut.http).get('/pairs'),
      request(sut.http).delete(`/pairs/${id}`),
      request(sut.http).post('/blocks').send({ userId: id }),
      request(sut.http).delete(`/blocks/${id}`),
      request(sut.http).get('/blocks'),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    }
  });
});
