import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { checkHandle, normalizeHandle, type UserDto } from '@pairchat/messaging';
import { In, Repository } from 'typeorm';
import { isUniqueViolation } from '../database/db-errors.js';
import { UserEntity } from './user.entity.js';
import { usersError, UsersErrorCode } from './users.errors.js';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /**
   * Creates an account. The unique index decides between concurrent registrations of one handle.
   * @throws HANDLE_TAKEN when the handle exists (also when another request won the race)
   * @throws RangeError when the handle breaks the shared rules (the DTO layer checks them first)
   */
  async create(handle: string, passwordHash: string): Promise<UserEntity> {
    const normalized = normalizeHandle(handle);
    const problem = checkHandle(normalized);
    if (problem) throw new RangeError(`handle breaks the handle rules (${problem})`);
    if (await this.users.existsBy({ handle: normalized })) throw this.handleTaken();
    const now = new Date();
    const user = this.users.create({
      id: randomUUID(),
      handle: normalized,
      passwordHash,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.users.insert(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw this.handleTaken();
      throw error;
    }
    return user;
  }

  /** The account with this handle (any case), or null. Malformed handles simply match nothing. */
  findByHandle(handle: string): Promise<UserEntity | null> {
    const normalized = normalizeHandle(handle);
    if (checkHandle(normalized)) return Promise.resolve(null);
    return this.users.findOneBy({ handle: normalized });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  /** @throws USER_NOT_FOUND */
  async getById(id: string): Promise<UserEntity> {
    const user = await this.findById(id);
    if (!user) throw usersError(UsersErrorCode.UserNotFound, 'no such user');
    return user;
  }

  /** @throws USER_NOT_FOUND */
  async getByHandle(handle: string): Promise<UserEntity> {
    const user = await this.findByHandle(handle);
    if (!user) throw usersError(UsersErrorCode.UserNotFound, 'no user with this handle');
    return user;
  }

  /** Public views of the given users, keyed by id (unknown ids are absent). */
  async findDtosByIds(ids: readonly string[]): Promise<Map<string, UserDto>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const users = await this.users.findBy({ id: In(unique) });
    return new Map(users.map((user) => [user.id, this.toDto(user)]));
  }

  toDto(user: UserEntity): UserDto {
    return { id: user.id, handle: user.handle, createdAt: user.createdAt.toISOString() };
  }

  private handleTaken() {
    return usersError(UsersErrorCode.HandleTaken, 'this handle is taken');
  }
}
