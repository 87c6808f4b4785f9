import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Repository } from 'typeorm';
import { fakeRepositories, InMemoryRepository } from '../../test/fakes/in-memory-repository.js';
import type { AuthContext } from '../auth/auth-context.js';
import { AppConfig } from '../config/app-config.js';
import type { SocketEmitter } from '../realtime/socket-emitter.js';
import { DeviceLinkEntity } from './device-link.entity.js';
import { DeviceLinkRateLimiter, DEVICE_LINK_CREATE_LIMIT } from './device-link-rate-limiter.js';
import { DEVICE_LINK_RETENTION_MS, DEVICE_LINK_TTL_MS, DeviceLinksService } from './device-links.service.js';
import { DeviceEntity } from './device.entity.js';
import { DevicesService } from './devices.service.js';

const ALICE = '0a000000-0000-4000-8000-000000000001';
const BOB = '0b000000-0000-4000-8000-000000000002';
const key = () => randomBytes(32).toString('base64');
const sealedBody = (linkToken: string) => ({
  linkToken,
  ephemeralPublicKey: key(),
  ciphertext: randomBytes(100).toString('base64'),
  iv: randomBytes(12).toString('base64'),
});

describe(DeviceLinksService.name, () => {
  let links: InMemoryRepository<DeviceLinkEntity>;
  let devices: DevicesService;
  let send: jest.Mock<SocketEmitter['send']>;
  let sut: DeviceLinksService;
  let newDevice: AuthContext;
  let oldDevice: AuthContext;
  let bob: AuthContext;

  beforeEach(async () => {
    const repos = fakeRepositories();
    links = repos.repository<DeviceLinkEntity>(DeviceLinkEntity, [['deviceId']]);
    const deviceRows = repos.repository<DeviceEntity>(DeviceEntity);
    const config = AppConfig.fromEnv({ JWT_SECRET: 'x'.repeat(32) });
    devices = new DevicesService(deviceRows as unknown as Repository<DeviceEntity>, config);
    send = jest.fn<SocketEmitter['send']>();
    sut = new DeviceLinksService(
      links as unknown as Repository<DeviceLinkEntity>,
      devices,
      { send } as unknown as SocketEmitter,
      new DeviceLinkRateLimiter(config, null),
    );
    oldDevice = { userId: ALICE, deviceId: (await devices.create(ALICE, 'laptop')).id };
    newDevice = { userId: ALICE, deviceId: (await devices.create(ALICE, 'phone')).id };
    bob = { userId: BOB, deviceId: (await devices.create(BOB, 'bob')).id };
  });

  it('opens a link that expires in ten minutes and stores only the hash of its token, no key', async () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const created = await sut.create(newDevice, now);
    expect(created.expiresAt).toBe(new Date(now.getTime() + DEVICE_LINK_TTL_MS).toISOString());
    expect(created.linkToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.rows).toHaveLength(1);
    expect(JSON.stringify(links.rows)).not.toContain(created.linkToken);
    expect(links.rows[0]).not.toHaveProperty('ephemeralPublicKey');
  });

  it('keeps at most one open link per device', async () => {
    const first = await sut.create(newDevice);
    const second = await sut.create(newDevice);
    expect(links.rows.map((l) => l.id)).toEqual([second.linkId]);
    await expect(sut.get(oldDevice, first.linkId)).rejects.toMatchObject({ code: 'LINK_NOT_FOUND' });
  });

  it('rate-limits link creation per device', async () => {
    for (let i = 0; i < DEVICE_LINK_CREATE_LIMIT; i++) await sut.create(newDevice);
    await expect(sut.create(newDevice)).rejects.toMatchObject({
      code: 'LINK_RATE_LIMITED',
      details: { retryAfterSeconds: expect.any(Number) },
    });
    await sut.create(oldDevice);
  });

  it('shows the link to the account with the new device name, and not to another account', async () => {
    const { linkId } = await sut.create(newDevice);
    expect(await sut.get(oldDevice, linkId)).toMatchObject({
      linkId,
      deviceId: newDevice.deviceId,
      deviceName: 'phone',
      status: 'pending',
      sealed: null,
    });
    await expect(sut.get(bob, linkId)).rejects.toMatchObject({ code: 'LINK_NOT_FOUND' });
  });

  it('completes once, tells the new device, and shows the sealed identity only to it', async () => {
    const { linkId, linkToken } = await sut.create(newDevice);
    const body = sealedBody(linkToken);
    expect(await sut.complete(oldDevice, linkId, body)).toMatchObject({ status: 'completed', sealed: null });
    expect(send).toHaveBeenCalledWith('device:link-completed', `device:${newDevice.deviceId}`, { linkId });
    expect((await sut.get(newDevice, linkId)).sealed).toEqual({
      ephemeralPublicKey: body.ephemeralPublicKey,
      ciphertext: body.ciphertext,
      iv: body.iv,
      completedAt: expect.any(String),
    });
    expect((await sut.get(oldDevice, linkId)).sealed).toBeNull();
  });

  it('refuses a second completion and keeps the first ciphertext', async () => {
    const { linkId, linkToken } = await sut.create(newDevice);
    const first = sealedBody(linkToken);
    await sut.complete(oldDevice, linkId, first);
    await expect(sut.complete(oldDevice, linkId, sealedBody(linkToken))).rejects.toMatchObject({
      code: 'LINK_ALREADY_USED',
    });
    expect(links.rows[0].ciphertext?.toString('base64')).toBe(first.ciphertext);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('refuses the loser of two racing completions', async () => {
    const { linkId, linkToken } = await sut.create(newDevice);
    const update = jest.spyOn(links, 'update').mockResolvedValueOnce({ affected: 0 });
    const row = links.rows[0];
    const findOneBy = jest.spyOn(links, 'findOneBy');
    findOneBy.mockResolvedValueOnce({ ...row }).mockResolvedValueOnce({ ...row, completedAt: new Date() });
    await expect(sut.complete(oldDevice, linkId, sealedBody(linkToken))).rejects.toMatchObject({
      code: 'LINK_ALREADY_USED',
    });
    expect(update).toHaveBeenCalledTimes(1);
    expect(send).not.toHaveBeenCalled();
  });

  it('refuses a completion after expiry and changes nothing', async () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const { linkId, linkToken } = await sut.create(newDevice, now);
    const late = new Date(now.getTime() + DEVICE_LINK_TTL_MS);
    await expect(sut.complete(oldDevice, linkId, sealedBody(linkToken), late)).rejects.toMatchObject({
      code: 'LINK_EXPIRED',
    });
    expect(links.rows[0].completedAt).toBeNull();
    expect((await sut.get(oldDevice, linkId, late)).status).toBe('expired');
  });

  it('refuses a wrong token, the own device and another account', async () => {
    const { linkId, linkToken } = await sut.create(newDevice);
    const wrong = randomBytes(32).toString('base64url');
    await expect(sut.complete(oldDevice, linkId, sealedBody(wrong))).rejects.toMatchObject({
      code: 'LINK_TOKEN_INVALID',
    });
    await expect(sut.complete(newDevice, linkId, sealedBody(linkToken))).rejects.toMatchObject({
      code: 'LINK_OWN_DEVICE',
    });
    await expect(sut.complete(bob, linkId, sealedBody(linkToken))).rejects.toMatchObject({ code: 'LINK_NOT_FOUND' });
    expect(links.rows[0].completedAt).toBeNull();
  });

  it('lets only the new device delete its pending link', async () => {
    const { linkId } = await sut.create(newDevice);
    await expect(sut.remove(oldDevice, linkId)).rejects.toMatchObject({ code: 'LINK_NOT_FOUND' });
    await sut.remove(newDevice, linkId);
    expect(links.rows).toEqual([]);
  });

  it('drops the sealed identity once delivered, and still answers a reuse with LINK_ALREADY_USED', async () => {
    const { linkId, linkToken } = await sut.create(newDevice);
    await sut.complete(oldDevice, linkId, sealedBody(linkToken));
    await sut.remove(newDevice, linkId);
    expect(links.rows[0]).toMatchObject({ ciphertext: null, iv: null, sealerPublicKey: null });
    expect(await sut.get(newDevice, linkId)).toMatchObject({ status: 'completed', sealed: null });
    await expect(sut.complete(oldDevice, linkId, sealedBody(linkToken))).rejects.toMatchObject({
      code: 'LINK_ALREADY_USED',
    });
  });

  it('drops the link of a revoked device in the revocation', async () => {
    await sut.create(newDevice);
    await devices.revoke(ALICE, newDevice.deviceId);
    expect(links.rows).toEqual([]);
  });

  it('sweeps links only after the retention period past expiry', async () => {
    const now = new Date('2026-12-03T12:00:00Z');
    await sut.create(newDevice, now);
    const expiry = now.getTime() + DEVICE_LINK_TTL_MS;
    expect(await sut.sweep(new Date(expiry + DEVICE_LINK_RETENTION_MS - 1))).toBe(0);
    expect(await sut.sweep(new Date(expiry + DEVICE_LINK_RETENTION_MS + 1))).toBe(1);
    expect(links.rows).toEqual([]);
  });
});
