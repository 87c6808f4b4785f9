import { EventEmitter } from 'node:events';
import { describe, expect, it, jest } from '@jest/globals';
import type { RedisClient } from '../redis/redis.module.js';
import { PolicyInvalidation } from './policy-invalidation.js';

const CHANNEL = 'test:send-policy';

function fakeRedis(publish: () => Promise<number>) {
  const sub = Object.assign(new EventEmitter(), { subscribe: jest.fn(async () => 1), quit: jest.fn(async () => 'OK') });
  const redis = { duplicate: () => sub, publish: jest.fn(publish) };
  return { redis: redis as unknown as RedisClient, sub };
}

describe(PolicyInvalidation.name, () => {
  it('applies changes from the channel and starts over when the subscriber reconnects', async () => {
    const { redis, sub } = fakeRedis(async () => 1);
    const apply = jest.fn();
    const resync = jest.fn();
    const sut = new PolicyInvalidation(redis, CHANNEL, apply, resync);
    await sut.start();
    sub.emit('message', CHANNEL, JSON.stringify({ kind: 'devices', userId: 'u' }));
    sub.emit('message', 'other', JSON.stringify({ kind: 'devices', userId: 'x' }));
    expect(apply).toHaveBeenCalledWith({ kind: 'devices', userId: 'u' });
    expect(apply).toHaveBeenCalledTimes(1);
    expect(resync).not.toHaveBeenCalled();
    sub.emit('ready');
    expect(resync).toHaveBeenCalledTimes(1);
  });

  it('starts over here when a publish fails', async () => {
    const { redis } = fakeRedis(async () => Promise.reject(new Error('connection lost')));
    const apply = jest.fn();
    const resync = jest.fn();
    const sut = new PolicyInvalidation(redis, CHANNEL, apply, resync);
    sut.publish({ kind: 'pair', userIds: ['a', 'b'] });
    expect(apply).toHaveBeenCalledWith({ kind: 'pair', userIds: ['a', 'b'] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(resync).toHaveBeenCalledTimes(1);
  });
});
