import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Repository } from 'typeorm';
import { InMemoryRepository } from '../../test/fakes/in-memory-repository.js';
import { AppError } from '../common/app-error.js';
import { UserEntity } from './user.entity.js';
import { UsersService } from './users.service.js';

describe(UsersService.name, () => {
  let users: InMemoryRepository<UserEntity>;
  let sut: UsersService;

  beforeEach(() => {
    users = new InMemoryRepository<UserEntity>([['handle']]);
    sut = new UsersService(users as unknown as Repository<UserEntity>);
  });

  it('creates an account with a lowercased handle and a fresh UUID', async () => {
    const user = await sut.create('Alice.Smith', 'hash');
    expect(user).toMatchObject({
      handle: 'alice.smith',
      passwordHash: 'hash',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(users.rows).toHaveLength(1);
  });

  it('refuses a handle that breaks the shared rules', async () => {
    await expect(sut.create('1abc', 'hash')).rejects.toThrow(RangeError);
    await expect(sut.create('ab', 'hash')).rejects.toThrow(/TOO_SHORT/);
    expect(users.rows).toHaveLength(0);
  });

  it('answers HANDLE_TAKEN for an existing handle in any case', async () => {
    await sut.create('alice', 'hash');
    await expect(sut.create('ALICE', 'other')).rejects.toMatchObject({ code: 'HANDLE_TAKEN' });
  });

  it('maps a unique-index violation (a lost race) to HANDLE_TAKEN', async () => {
    await sut.create('alice', 'hash');
    jest.spyOn(users, 'existsBy').mockResolvedValueOnce(false);
    const error = await sut.create('alice', 'other').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'HANDLE_TAKEN' });
    expect((error as AppError).getStatus()).toBe(409);
  });

  it('finds by handle in any case and ignores malformed handles', async () => {
    const created = await sut.create('bob', 'hash');
    expect(await sut.findByHandle('BOB')).toMatchObject({ id: created.id });
    const findOneBy = jest.spyOn(users, 'findOneBy');
    expect(await sut.findByHandle('no way!')).toBeNull();
    expect(findOneBy).not.toHaveBeenCalled();
  });

  it('answers USER_NOT_FOUND for unknown ids and handles', async () => {
    await expect(sut.getById('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(sut.getByHandle('nobody')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  });

  it('maps users to public DTOs without the password hash', async () => {
    const user = await sut.create('carol', 'secret-hash');
    const dtos = await sut.findDtosByIds([user.id, user.id, 'unknown']);
    expect([...dtos.values()]).toEqual([{ id: user.id, handle: 'carol', createdAt: user.createdAt.toISOString() }]);
    expect(JSON.stringify([...dtos.values()])).not.toContain('secret-hash');
  });
});
