import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { aPair, aPairRequest, aSession, apiError, aUser, installFakeFetch } from '@/testing/fake-fetch.js';
import { usePairsStore } from './pairs.js';
import { useSessionStore } from './session.js';

describe(usePairsStore.name, () => {
  let fake: ReturnType<typeof installFakeFetch>;
  let sut: ReturnType<typeof usePairsStore>;
  const me = aUser('alice');
  const bob = aUser('bob');
  const carol = aUser('carol');

  beforeEach(async () => {
    localStorage.clear();
    fake = installFakeFetch();
    setActivePinia(createPinia());
    fake.on('POST /auth/login', { status: 200, body: aSession({ user: me }) });
    await useSessionStore().login({ handle: 'alice', password: 'correct horse battery' });
    sut = usePairsStore();
  });

  it('loads pairs, requests and blocks together', async () => {
    const incoming = aPairRequest(bob, me);
    fake
      .on('GET /pairs', { status: 200, body: [aPair(carol)] })
      .on('GET /pairs/requests', { status: 200, body: { incoming: [incoming], outgoing: [] } })
      .on('GET /blocks', { status: 200, body: [] });

    await sut.load();

    expect(sut.state).toBe('done');
    expect(sut.pairs.map((pair) => pair.user.handle)).toEqual(['carol']);
    expect(sut.incoming).toEqual([incoming]);
  });

  it('keeps the error when loading fails', async () => {
    fake.on('GET /pairs', apiError(503, 'INTERNAL_ERROR'));

    await sut.load();

    expect(sut.state).toBe('error');
    expect(sut.error).toMatchObject({ code: 'INTERNAL_ERROR' });
  });

  it('adds a new request to the outgoing list', async () => {
    const request = aPairRequest(me, bob);
    fake.on('POST /pairs/requests', { status: 201, body: { request } });

    const result = await sut.ask(' Bob ');

    expect(fake.calls.at(-1)?.body).toEqual({ handle: 'bob' });
    expect(result).toEqual({ kind: 'requested', request });
    expect(sut.outgoing).toEqual([request]);
  });

  it('pairs at once when the other person had already asked', async () => {
    sut.incoming = [aPairRequest(bob, me)];
    const pair = aPair(bob);
    fake.on('POST /pairs/requests', { status: 201, body: { pair } });

    const result = await sut.ask('bob');

    expect(result).toEqual({ kind: 'paired', pair });
    expect(sut.pairs).toEqual([pair]);
    expect(sut.incoming).toEqual([]);
  });

  it('moves an accepted request into the pair list', async () => {
    const request = aPairRequest(bob, me);
    const pair = aPair(bob);
    sut.incoming = [request];
    fake.on(`POST /pairs/requests/${request.id}/accept`, { status: 200, body: pair });

    await sut.accept(request.id);

    expect(sut.incoming).toEqual([]);
    expect(sut.pairs).toEqual([pair]);
  });

  it('leaves the lists alone when the answer is an error', async () => {
    const request = aPairRequest(bob, me);
    sut.incoming = [request];
    fake.on(`POST /pairs/requests/${request.id}/decline`, apiError(404, 'REQUEST_NOT_FOUND'));

    await expect(sut.decline(request.id)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
    expect(sut.incoming).toEqual([request]);
  });

  it('marks a blocked pair and lists the person as blocked, and reverses it on unblock', async () => {
    const pair = aPair(bob);
    sut.pairs = [pair];
    fake.on('POST /blocks', { status: 204 }).on(`DELETE /blocks/${bob.id}`, { status: 204 });

    await sut.block(bob);
    expect(sut.pairs[0]?.blocked).toBe(true);
    expect(sut.blocked).toEqual([bob]);

    await sut.unblock(bob.id);
    expect(sut.pairs[0]?.blocked).toBe(false);
    expect(sut.blocked).toEqual([]);
  });

  it('clears everything when the user signs out', async () => {
    sut.pairs = [aPair(bob)];

    useSessionStore().end();
    await Promise.resolve();

    expect(sut.pairs).toEqual([]);
    expect(sut.state).toBe('idle');
  });
});
