import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type {
  PairDto,
  PairRequestCreateResultDto,
  PairRequestDto,
  PairRequestListDto,
  UserDto,
} from '@pairchat/messaging';
import { In, Repository } from 'typeorm';
import { commonError, CommonErrorCode } from '../common/app-error.js';
import { isUniqueViolation } from '../database/db-errors.js';
import { UsersService } from '../users/users.service.js';
import { BlockEntity } from './block.entity.js';
import { PairRequestEntity } from './pair-request.entity.js';
import { PairEntity } from './pair.entity.js';
import { pairingError, PairingErrorCode } from './pairing.errors.js';

/** How often createRequest re-reads and retries after losing a race on a unique index. */
const CREATE_REQUEST_ATTEMPTS = 3;

/** The two ids in a fixed order: the key of a pair (and of the one open request) between two users. */
export function orderedPair(a: string, b: string): { userLow: string; userHigh: string } {
  return a < b ? { userLow: a, userHigh: b } : { userLow: b, userHigh: a };
}

/**
 * Pair requests, pairs and blocks. Blocking is silent: nothing the blocked user can observe changes
 * (their requests to the blocker are kept, silenced, and never shown to the blocker).
 */
/** Told after whether two users may communicate may have changed (pair made or removed, block set or lifted). */
export type PairingChangeListener = (userId: string, otherUserId: string) => void;

@Injectable()
export class PairingService {
  private readonly changeListeners: PairingChangeListener[] = [];

  constructor(
    @InjectRepository(PairRequestEntity) private readonly requests: Repository<PairRequestEntity>,
    @InjectRepository(PairEntity) private readonly pairs: Repository<PairEntity>,
    @InjectRepository(BlockEntity) private readonly blocks: Repository<BlockEntity>,
    private readonly users: UsersService,
  ) {}

  /** Registers a listener for {@link canCommunicate} changes (caches of it drop the pair at once). */
  onChange(listener: PairingChangeListener): void {
    this.changeListeners.push(listener);
  }

  private changed(userId: string, otherUserId: string): void {
    for (const listener of this.changeListeners) listener(userId, otherUserId);
  }

  /**
   * The one rule other modules ask: may these two exchange messages or fetch each other's keys?
   * True only for a pair with no block in either direction.
   */
  async canCommunicate(userId: string, otherUserId: string): Promise<boolean> {
    if (userId === otherUserId) return false;
    const [paired, blocked] = await Promise.all([
      this.pairs.existsBy(orderedPair(userId, otherUserId)),
      this.blocks.existsBy([
        { blockerId: userId, blockedId: otherUserId },
        { blockerId: otherUserId, blockedId: userId },
      ]),
    ]);
    return paired && !blocked;
  }

  /**
   * Asks the user with `handle` to pair. When they already asked me, their request is accepted
   * instead. When they block me, the request is stored silenced and the answer looks the same.
   * @throws USER_NOT_FOUND, CANNOT_PAIR_WITH_SELF, ALREADY_PAIRED, REQUEST_EXISTS
   */
  async createRequest(userId: string, handle: string): Promise<PairRequestCreateResultDto> {
    const target = await this.users.getByHandle(handle);
    if (target.id === userId) throw pairingError(PairingErrorCode.CannotPairWithSelf, 'you cannot pair with yourself');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tryCreateRequest(userId, target.id);
      } catch (error) {
        // A concurrent request or accept between the same two users won; re-read and decide again.
        if (isUniqueViolation(error) && attempt < CREATE_REQUEST_ATTEMPTS) continue;
        if (isUniqueViolation(error)) throw this.requestExists();
        throw error;
      }
    }
  }

  async listRequests(userId: string): Promise<PairRequestListDto> {
    const [incoming, outgoing] = await Promise.all([
      this.requests.find({ where: { toUserId: userId, silenced: false }, order: { createdAt: 'DESC', id: 'ASC' } }),
      this.requests.find({ where: { fromUserId: userId }, order: { createdAt: 'DESC', id: 'ASC' } }),
    ]);
    const users = await this.users.findDtosByIds([...incoming, ...outgoing].flatMap((r) => [r.fromUserId, r.toUserId]));
    const toDtos = (list: PairRequestEntity[]) =>
      list.flatMap((request) => {
        const dto = this.toRequestDto(request, users);
        return dto ? [dto] : [];
      });
    return { incoming: toDtos(incoming), outgoing: toDtos(outgoing) };
  }

  /** @throws REQUEST_NOT_FOUND unless I am the recipient of this pending request */
  async acceptRequest(userId: string, requestId: string): Promise<PairDto> {
    const request = await this.requests.findOneBy({ id: requestId, toUserId: userId, silenced: false });
    if (!request) throw this.requestNotFound();
    return this.accept(request, userId);
  }

  /** @throws REQUEST_NOT_FOUND unless I am the recipient of this pending request */
  async declineRequest(userId: string, requestId: string): Promise<void> {
    const result = await this.requests.delete({ id: requestId, toUserId: userId, silenced: false });
    if (!result.affected) throw this.requestNotFound();
  }

  /** @throws REQUEST_NOT_FOUND unless I sent this pending request */
  async cancelRequest(userId: string, requestId: string): Promise<void> {
    const result = await this.requests.delete({ id: requestId, fromUserId: userId });
    if (!result.affected) throw this.requestNotFound();
  }

  /**
   * Ids of the users `userId` may communicate with (paired, no block either way): what
   * {@link canCommunicate} answers for each of them, in one query (presence fan-out on connect).
   */
  async listReachableUserIds(userId: string): Promise<string[]> {
    const rows = (await this.pairs.query(
      `SELECT o.\`other\` FROM (SELECT \`user_high\` AS \`other\` FROM \`pairs\` WHERE \`user_low\` = ? UNION ALL SELECT \`user_low\` FROM \`pairs\` WHERE \`user_high\` = ?) o WHERE NOT EXISTS (SELECT 1 FROM \`blocks\` b WHERE (b.\`blocker_id\` = ? AND b.\`blocked_id\` = o.\`other\`) OR (b.\`blocker_id\` = o.\`other\` AND b.\`blocked_id\` = ?))`,
      [userId, userId, userId, userId],
    )) as { other: string }[];
    return rows.map((row) => row.other);
  }

  async listPairs(userId: string): Promise<PairDto[]> {
    const pairs = await this.pairs.find({
      where: [{ userLow: userId }, { userHigh: userId }],
      order: { createdAt: 'DESC', id: 'ASC' },
    });
    const others = pairs.map((pair) => this.otherMember(pair, userId));
    const [users, blocked] = await Promise.all([this.users.findDtosByIds(others), this.blockedAmong(userId, others)]);
    return pairs.flatMap((pair) => {
      const user = users.get(this.otherMember(pair, userId));
      return user ? [this.toPairDto(pair, user, blocked.has(user.id))] : [];
    });
  }

  /** Unpairs; either member may. @throws PAIR_NOT_FOUND */
  async deletePair(userId: string, pairId: string): Promise<void> {
    const pair = await this.pairs.findOneBy([
      { id: pairId, userLow: userId },
      { id: pairId, userHigh: userId },
    ]);
    if (!pair) throw pairingError(PairingErrorCode.PairNotFound, 'no such pair');
    await this.pairs.delete({ id: pair.id });
    this.changed(pair.userLow, pair.userHigh);
  }

  /**
   * Blocks a user (idempotent). Their pending requests to me are silenced; what they see is unchanged.
   * @throws VALIDATION_FAILED for my own id, USER_NOT_FOUND
   */
  async blockUser(userId: string, blockedId: string): Promise<void> {
    if (userId === blockedId) {
      throw commonError(CommonErrorCode.ValidationFailed, 'userId: you cannot block yourself', {
        fields: [{ field: 'userId', problems: ['you cannot block yourself'] }],
      });
    }
    await this.users.getById(blockedId);
    try {
      await this.blocks.insert({ id: randomUUID(), blockerId: userId, blockedId, createdAt: new Date() });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    this.changed(userId, blockedId);
    await this.requests.update({ fromUserId: blockedId, toUserId: userId }, { silenced: true });
  }

  /** Lifts a block (idempotent). Requests silenced by it stay hidden. */
  async unblockUser(userId: string, blockedId: string): Promise<void> {
    await this.blocks.delete({ blockerId: userId, blockedId });
    this.changed(userId, blockedId);
  }

  async listBlocks(userId: string): Promise<UserDto[]> {
    const blocks = await this.blocks.find({ where: { blockerId: userId }, order: { createdAt: 'DESC', id: 'ASC' } });
    const users = await this.users.findDtosByIds(blocks.map((b) => b.blockedId));
    return blocks.flatMap((block) => {
      const user = users.get(block.blockedId);
      return user ? [user] : [];
    });
  }

  private async tryCreateRequest(userId: string, targetId: string): Promise<PairRequestCreateResultDto> {
    const key = orderedPair(userId, targetId);
    if (await this.pairs.existsBy(key)) throw pairingError(PairingErrorCode.AlreadyPaired, 'you are already paired');
    const open = await this.requests.findOneBy(key);
    if (open?.fromUserId === userId) throw this.requestExists();
    if (open) return { pair: await this.accept(open, userId) };

    const silenced = await this.blocks.existsBy({ blockerId: targetId, blockedId: userId });
    const request = this.requests.create({
      id: randomUUID(),
      fromUserId: userId,
      toUserId: targetId,
      ...key,
      silenced,
      createdAt: new Date(),
    });
    await this.requests.insert(request);
    const users = await this.users.findDtosByIds([userId, targetId]);
    return { request: this.toRequestDto(request, users)! };
  }

  /** Turns a request into a pair, once: the request row is the ticket, deleted in the same commit. */
  private async accept(request: PairRequestEntity, userId: string): Promise<PairDto> {
    const key = orderedPair(request.fromUserId, request.toUserId);
    const pair = await this.pairs.manager.transaction(async (manager) => {
      const taken = await manager.delete(PairRequestEntity, { id: request.id });
      if (!taken.affected) throw this.requestNotFound();
      const existing = await manager.findOneBy(PairEntity, key);
      if (existing) return existing;
      const created = manager.create(PairEntity, { id: randomUUID(), ...key, createdAt: new Date() });
      await manager.insert(PairEntity, created);
      return created;
    });
    this.changed(pair.userLow, pair.userHigh);
    const otherId = this.otherMember(pair, userId);
    const [users, blocked] = await Promise.all([
      this.users.findDtosByIds([otherId]),
      this.blockedAmong(userId, [otherId]),
    ]);
    const other = users.get(otherId);
    if (!other) throw this.requestNotFound();
    return this.toPairDto(pair, other, blocked.has(otherId));
  }

  private async blockedAmong(userId: string, others: string[]): Promise<Set<string>> {
    if (others.length === 0) return new Set();
    const blocks = await this.blocks.findBy({ blockerId: userId, blockedId: In(others) });
    return new Set(blocks.map((b) => b.blockedId));
  }

  private otherMember(pair: { userLow: string; userHigh: string }, userId: string): string {
    return pair.userLow === userId ? pair.userHigh : pair.userLow;
  }

  private toRequestDto(request: PairRequestEntity, users: Map<string, UserDto>): PairRequestDto | undefined {
    const from = users.get(request.fromUserId);
    const to = users.get(request.toUserId);
    if (!from || !to) return undefined;
    return { id: request.id, from, to, status: 'pending', createdAt: request.createdAt.toISOString() };
  }

  private toPairDto(pair: PairEntity, user: UserDto, blocked: boolean): PairDto {
    return { id: pair.id, user, createdAt: pair.createdAt.toISOString(), blocked };
  }

  private requestExists() {
    return pairingError(PairingErrorCode.RequestExists, 'a request between you is already pending');
  }

  private requestNotFound() {
    return pairingError(PairingErrorCode.RequestNotFound, 'no such pending request');
  }
}
