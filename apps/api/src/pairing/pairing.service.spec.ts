import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Repository } from 'typeorm';
import { fakeRepositories, InMemoryRepository } from '../../test/fakes/in-memory-repository.js';
import { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { BlockEntity } from './block.entity.js';
import { PairRequestEntity } from './pair-request.entity.js';
import { PairEntity } from './pair.entity.js';
import { orderedPair, PairingService } from './pairing.service.js';

describe(PairingService.name, () => {
  let requests: InMemoryRepository<PairRequestEntity>;
  let pairs: InMemoryRepository<PairEntity>;
  let users: UsersService;
  let sut: PairingService;
  let alice: UserEntity;
  let bob: UserEntity;
  let carol: UserEntity;

  beforeEach(async () => {
    const db = fakeRepositories();
    users = new UsersService(db.repository<UserEntity>(UserEntity, [['handle']]) as unknown as Repository<UserEntity>);
    requests = db.repository<PairRequestEntity>(PairRequestEntity, [['userLow', 'userHigh']]);
    pairs = db.repository<PairEntity>(PairEntity, [['userLow', 'userHigh']]);
    const blocks = db.repository<BlockEntity>(BlockEntity, [['blockerId', 'blockedId']]);
    sut = new PairingService(
      requests as unknown as Repository<PairRequestEntity>,
      pairs as unknown as Repository<PairEntity>,
      blocks as unknown as Repository<BlockEntity>,
      users,
    );
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((h) => users.create(h, 'hash')));
  });

  const requestFrom = async (from: UserEntity, to: UserEntity) =>
    (await sut.createRequest(from.id, to.handle)).request!;
  const pairUp = async (a: UserEntity, b: UserEntity) => sut.acceptRequest(b.id, (await requestFrom(a, b)).id);

  it('orders the two ids of a pair the same way whoever asks', () => {
    expect(orderedPair(alice.id, bob.id)).toEqual(orderedPair(bob.id, alice.id));
    const { userLow, userHigh } = orderedPair(alice.id, bob.id);
    expect(userLow < userHigh).toBe(true);
  });

  describe('canCommunicate', () => {
    it('is true only for a pair with no block either way', async () => {
      expect(await sut.canCommunicate(alice.id, bob.id)).toBe(false);
      await pairUp(alice, bob);
      expect(await sut.canCommunicate(alice.id, bob.id)).toBe(true);
      expect(await sut.canCommunicate(bob.id, alice.id)).toBe(true);
      expect(await sut.canCommunicate(alice.id, carol.id)).toBe(false);
      await sut.blockUser(bob.id, alice.id);
      expect(await sut.canCommunicate(alice.id, bob.id)).toBe(false);
      expect(await sut.canCommunicate(bob.id, alice.id)).toBe(false);
    });

    it('is false for oneself', async () => {
      expect(await sut.canCommunicate(alice.id, alice.id)).toBe(false);
    });
  });

  describe('createRequest', () => {
    it('refuses pairing with oneself, unknown handles, duplicates and existing pairs', async () => {
      await expect(sut.createRequest(alice.id, 'ALICE')).rejects.toMatchObject({ code: 'CANNOT_PAIR_WITH_SELF' });
      await expect(sut.createRequest(alice.id, 'nobody')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
      await requestFrom(alice, bob);
      await expect(sut.createRequest(alice.id, 'bob')).rejects.toMatchObject({ code: 'REQUEST_EXISTS' });
      await pairUp(alice, carol);
      await expect(sut.createRequest(carol.id, 'alice')).rejects.toMatchObject({ code: 'ALREADY_PAIRED' });
    });

    it("accepts the other's open request instead of opening a second one", async () => {
      await requestFrom(alice, bob);
      const result = await sut.createRequest(bob.id, 'alice');
      expect(result).toEqual({
        pair: expect.objectContaining({ user: expect.objectContaining({ id: alice.id }), blocked: false }),
      });
      expect(requests.rows).toHaveLength(0);
      expect(pairs.rows).toHaveLength(1);
    });

    it('re-reads after losing a race on the request index and accepts the winner', async () => {
      const findOneBy = jest.spyOn(requests, 'findOneBy');
      findOneBy.mockResolvedValueOnce(null);
      await requests.insert({
        ...orderedPair(alice.id, bob.id),
        id: 'r1',
        fromUserId: bob.id,
        toUserId: alice.id,
        silenced: false,
        createdAt: new Date(),
      });
      const result = await sut.createRequest(alice.id, 'bob');
      expect(result.pair).toBeDefined();
      expect(pairs.rows).toHaveLength(1);
    });

    it('silences a request to someone who blocks the sender: same answer, never shown to them', async () => {
      await sut.blockUser(bob.id, alice.id);
      const result = await sut.createRequest(alice.id, 'bob');
      expect(result).toEqual({
        request: expect.objectContaining({ from: expect.objectContaining({ id: alice.id }), status: 'pending' }),
      });
      expect((await sut.listRequests(alice.id)).outgoing).toHaveLength(1);
      expect((await sut.listRequests(bob.id)).incoming).toEqual([]);
      await expect(sut.acceptRequest(bob.id, result.request!.id)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
    });
  });

  describe('answering', () => {
    it('lets only the recipient accept or decline, and only the sender cancel', async () => {
      const request = await requestFrom(alice, bob);
      await expect(sut.acceptRequest(alice.id, request.id)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
      await expect(sut.acceptRequest(carol.id, request.id)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
      await expect(sut.declineRequest(alice.id, request.id)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
      await expect(sut.cancelRequest(bob.id, request.id)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
      await sut.cancelRequest(alice.id, request.id);
      expect(requests.rows).toHaveLength(0);
    });

    it('accepting makes one pair visible to both, with the other person in it', async () => {
      const pair = await pairUp(alice, bob);
      expect(pair.user.id).toBe(alice.id);
      expect(await sut.listPairs(alice.id)).toEqual([
        expect.objectContaining({ id: pair.id, user: expect.objectContaining({ id: bob.id }) }),
      ]);
      expect(await sut.listPairs(bob.id)).toEqual([
        expect.objectContaining({ id: pair.id, user: expect.objectContaining({ id: alice.id }) }),
      ]);
    });

    it('a request can be accepted only once', async () => {
      const request = await requestFrom(alice, bob);
      await sut.acceptRequest(bob.id, request.id);
      await expect(sut.acceptRequest(bob.id, request.id)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
    });
  });

  describe('unpairing', () => {
    it('either member may unpair; nobody else', async () => {
      const pair = await pairUp(alice, bob);
      await expect(sut.deletePair(carol.id, pair.id)).rejects.toMatchObject({ code: 'PAIR_NOT_FOUND' });
      await sut.deletePair(bob.id, pair.id);
      expect(await sut.listPairs(alice.id)).toEqual([]);
    });
  });

  describe('blocking', () => {
    it('shows blocked=true only to the blocker and changes nothing for the blocked', async () => {
      await pairUp(alice, bob);
      const before = await sut.listPairs(alice.id);
      await sut.blockUser(bob.id, alice.id);
      expect(await sut.listPairs(alice.id)).toEqual(before);
      expect((await sut.listPairs(bob.id))[0].blocked).toBe(true);
      expect(await sut.listBlocks(bob.id)).toEqual([expect.objectContaining({ id: alice.id })]);
      expect(await sut.listBlocks(alice.id)).toEqual([]);
    });

    it("hides the blocked user's pending requests from the blocker but not from them", async () => {
      const request = await requestFrom(alice, bob);
      await sut.blockUser(bob.id, alice.id);
      expect((await sut.listRequests(bob.id)).incoming).toEqual([]);
      expect((await sut.listRequests(alice.id)).outgoing).toEqual([request]);
    });

    it('is idempotent and refuses oneself and unknown users', async () => {
      await sut.blockUser(alice.id, bob.id);
      await sut.blockUser(alice.id, bob.id);
      expect(await sut.listBlocks(alice.id)).toHaveLength(1);
      await expect(sut.blockUser(alice.id, alice.id)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(sut.blockUser(alice.id, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
        code: 'USER_NOT_FOUND',
      });
    });

    it('unblocking restores communication but keeps silenced requests hidden', async () => {
      await pairUp(alice, carol);
      await sut.blockUser(alice.id, carol.id);
      await requestFrom(bob, alice);
      await sut.blockUser(alice.id, bob.id);
      await sut.unblockUser(alice.id, carol.id);
      await sut.unblockUser(alice.id, bob.id);
      expect(await sut.canCommunicate(alice.id, carol.id)).toBe(true);
      expect((await sut.listRequests(alice.id)).incoming).toEqual([]);
    });
  });
});
