import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Repository } from 'typeorm';
import { fakeRepositories, InMemoryRepository } from '../../test/fakes/in-memory-repository.js';
import { AppConfig } from '../config/app-config.js';
import { DeviceEntity } from './device.entity.js';
import { type DeviceRevocationHook, DevicesService, LAST_SEEN_RESOLUTION_MS } from './devices.service.js';

const ALICE = '0a000000-0000-4000-8000-000000000001';
const BOB = '0b000000-0000-4000-8000-000000000002';

describe(DevicesService.name, () => {
  let devices: InMemoryRepository<DeviceEntity>;
  let sut: DevicesService;

  beforeEach(() => {
    devices = fakeRepositories().repository<DeviceEntity>(DeviceEntity);
    const config = AppConfig.fromEnv({ JWT_SECRET: 'x'.repeat(32), MAX_DEVICES_PER_USER: '2' });
    sut = new DevicesService(devices as unknown as Repository<DeviceEntity>, config);
  });

  it('registers devices up to the limit, then answers DEVICE_LIMIT_REACHED', async () => {
    await sut.create(ALICE, 'one');
    await sut.create(ALICE, 'two');
    await expect(sut.create(ALICE, 'three')).rejects.toMatchObject({
      code: 'DEVICE_LIMIT_REACHED',
      details: { limit: 2 },
    });
    expect(devices.rows).toHaveLength(2);
    await sut.create(BOB, 'bob');
  });

  it('rolls back a device that a concurrent login pushed over the limit', async () => {
    await sut.create(ALICE, 'one');
    const count = jest.spyOn(devices, 'countBy');
    count.mockResolvedValueOnce(1).mockResolvedValueOnce(3);
    await expect(sut.create(ALICE, 'racer')).rejects.toMatchObject({ code: 'DEVICE_LIMIT_REACHED' });
    expect(devices.rows.map((d) => d.name)).toEqual(['one']);
  });

  it('does not count revoked devices against the limit', async () => {
    const first = await sut.create(ALICE, 'one');
    await sut.create(ALICE, 'two');
    await sut.revoke(ALICE, first.id);
    await sut.create(ALICE, 'three');
  });

  it("does not return another user's device or a revoked one", async () => {
    const device = await sut.create(ALICE, 'one');
    await expect(sut.findOwned(BOB, device.id)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await sut.revoke(ALICE, device.id);
    await expect(sut.findOwned(ALICE, device.id)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
  });

  it('authenticates only an active device of the token owner', async () => {
    const device = await sut.create(ALICE, 'one');
    expect(await sut.authenticate(ALICE, device.id)).toBe(true);
    expect(await sut.authenticate(BOB, device.id)).toBe(false);
    await sut.revoke(ALICE, device.id);
    expect(await sut.authenticate(ALICE, device.id)).toBe(false);
  });

  it('refreshes lastSeenAt at most once a minute', async () => {
    const device = await sut.create(ALICE, 'one');
    const created = device.lastSeenAt.getTime();
    await sut.authenticate(ALICE, device.id, new Date(created + LAST_SEEN_RESOLUTION_MS - 1));
    expect(devices.rows[0].lastSeenAt.getTime()).toBe(created);
    const later = new Date(created + LAST_SEEN_RESOLUTION_MS + 5);
    await sut.authenticate(ALICE, device.id, later);
    expect(devices.rows[0].lastSeenAt).toEqual(later);
  });

  it('lets only the device itself set its registration id', async () => {
    const current = await sut.create(ALICE, 'current');
    const other = await sut.create(ALICE, 'other');
    await expect(sut.update(ALICE, current.id, other.id, { registrationId: 5 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await sut.update(ALICE, current.id, other.id, { name: 'renamed' })).toMatchObject({
      name: 'renamed',
      current: false,
    });
    expect(await sut.update(ALICE, current.id, current.id, { registrationId: 5 })).toMatchObject({
      registrationId: 5,
      current: true,
    });
  });

  it('runs the revocation hooks inside the revocation', async () => {
    const device = await sut.create(ALICE, 'one');
    const hook = jest.fn<DeviceRevocationHook>(async () => {});
    sut.onRevoke(hook);
    await sut.revoke(ALICE, device.id);
    expect(hook).toHaveBeenCalledTimes(1);
    expect(hook.mock.calls[0][0]).toBe(devices.manager);
    expect(hook.mock.calls[0][1]).toEqual({ id: device.id, userId: ALICE });
  });

  it('tells change listeners after the revocation committed, and only when it did', async () => {
    const device = await sut.create(ALICE, 'one');
    const order: string[] = [];
    const transaction = devices.manager.transaction.bind(devices.manager);
    jest.spyOn(devices.manager, 'transaction').mockImplementation((async (work: never) => {
      const result = await transaction(work);
      order.push('commit');
      return result;
    }) as never);
    sut.onRevoke(async () => void order.push('hook'));
    sut.onChanged((change) => order.push(`changed:${change.deviceId}:${change.revoked}`));
    await expect(sut.revoke(BOB, device.id)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await sut.revoke(ALICE, device.id);
    expect(order).toEqual(['hook', 'commit', `changed:${device.id}:true`]);
  });

  it('tells change listeners of a new device and of a registration id change, not of a rename', async () => {
    const changes: unknown[] = [];
    sut.onChanged((change) => changes.push(change));
    const device = await sut.create(ALICE, 'one');
    await sut.update(ALICE, device.id, device.id, { name: 'renamed' });
    await sut.update(ALICE, device.id, device.id, { registrationId: 9 });
    expect(changes).toEqual([
      { userId: ALICE, deviceId: device.id, revoked: false },
      { userId: ALICE, deviceId: device.id, revoked: false },
    ]);
  });

  it("refuses to revoke another user's device and leaves it active", async () => {
    const device = await sut.create(ALICE, 'one');
    const hook = jest.fn<DeviceRevocationHook>(async () => {});
    sut.onRevoke(hook);
    await expect(sut.revoke(BOB, device.id)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(devices.rows[0].revokedAt).toBeNull();
    expect(hook).not.toHaveBeenCalled();
  });

  it('lists active devices oldest first, marking the current one', async () => {
    const one = await sut.create(ALICE, 'one');
    const two = await sut.create(ALICE, 'two');
    devices.rows[1].createdAt = new Date(one.createdAt.getTime() + 1);
    await sut.create(BOB, 'bob');
    expect(await sut.list(ALICE, two.id)).toEqual([
      expect.objectContaining({ id: one.id, current: false }),
      expect.objectContaining({ id: two.id, current: true }),
    ]);
  });
});
