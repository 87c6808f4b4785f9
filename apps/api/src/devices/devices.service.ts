import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { DeviceDto, DeviceUpdateRequestDto } from '@pairchat/messaging';
import { EntityManager, IsNull, LessThan, Repository } from 'typeorm';
import { commonError, CommonErrorCode } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import { DeviceEntity } from './device.entity.js';
import { devicesError, DevicesErrorCode } from './devices.errors.js';

/** lastSeenAt is refreshed at most this often, so authenticated reads don't each cost a write. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

/**
 * Runs inside the revocation transaction; modules that keep per-device state (refresh tokens,
 * keys, queues) register one to drop it in the same commit.
 */
export type DeviceRevocationHook = (manager: EntityManager, device: { id: string; userId: string }) => Promise<void>;

/** A committed change to a user's device list (added, registration id changed, revoked). */
export interface DeviceChange {
  userId: string;
  deviceId: string;
  revoked: boolean;
}

@Injectable()
export class DevicesService {
  private readonly revocationHooks: DeviceRevocationHook[] = [];
  private readonly changeListeners: ((change: DeviceChange) => void)[] = [];
  private readonly logger = new Logger('DevicesService');

  constructor(
    @InjectRepository(DeviceEntity) private readonly devices: Repository<DeviceEntity>,
    private readonly config: AppConfig,
  ) {}

  onRevoke(hook: DeviceRevocationHook): void {
    this.revocationHooks.push(hook);
  }

  /**
   * Called after each committed change to a device list (never inside its transaction, so a
   * listener that reloads, or tells other nodes to, reads the new state).
   */
  onChanged(listener: (change: DeviceChange) => void): void {
    this.changeListeners.push(listener);
  }

  /**
   * Registers a new device. The limit is checked after the insert, so concurrent logins can never
   * push a user past it (at worst both retry).
   * @throws DEVICE_LIMIT_REACHED
   */
  async create(userId: string, name: string, registrationId: number | null = null): Promise<DeviceEntity> {
    const limit = this.config.maxDevicesPerUser;
    if ((await this.countActive(userId)) >= limit) throw this.limitReached(limit);
    const now = new Date();
    const device = this.devices.create({
      id: randomUUID(),
      userId,
      name,
      registrationId,
      createdAt: now,
      lastSeenAt: now,
      revokedAt: null,
      sessionGeneration: 0,
    });
    await this.devices.insert(device);
    if ((await this.countActive(userId)) > limit) {
      await this.devices.delete({ id: device.id });
      throw this.limitReached(limit);
    }
    this.changed({ userId, deviceId: device.id, revoked: false });
    return device;
  }

  /** @throws DEVICE_NOT_FOUND unless the device is the user's and not revoked */
  async findOwned(userId: string, id: string): Promise<DeviceEntity> {
    const device = await this.devices.findOneBy({ id, userId, revokedAt: IsNull() });
    if (!device) throw devicesError(DevicesErrorCode.DeviceNotFound, 'no such device');
    return device;
  }

  /**
   * The check behind every authenticated request (HTTP and the socket handshake): true when the
   * device exists, is the user's, is not revoked, and its sessions were not ended since the token
   * was issued (`sessionGeneration` is the token's claim; tokens without one count as 0).
   * Refreshes lastSeenAt when it is older than {@link LAST_SEEN_RESOLUTION_MS}.
   */
  async authenticate(userId: string, deviceId: string, now = new Date(), sessionGeneration = 0): Promise<boolean> {
    return (await this.sessionState(userId, deviceId, now, sessionGeneration)) === 'active';
  }

  /**
   * {@link authenticate}, saying why a token no longer counts: `revoked` (no such active device of
   * the user) or `ended` (the device remains, but its sessions were ended after the token).
   */
  async sessionState(
    userId: string,
    deviceId: string,
    now = new Date(),
    sessionGeneration = 0,
  ): Promise<'active' | 'revoked' | 'ended'> {
    const device = await this.devices.findOneBy({ id: deviceId, userId, revokedAt: IsNull() });
    if (!device) return 'revoked';
    if ((device.sessionGeneration ?? 0) !== sessionGeneration) return 'ended';
    if (now.getTime() - device.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      const stale = new Date(now.getTime() - LAST_SEEN_RESOLUTION_MS);
      await this.devices.update({ id: deviceId, lastSeenAt: LessThan(stale) }, { lastSeenAt: now });
    }
    return 'active';
  }

  /**
   * Ends every session of the device: access tokens issued before this call stop authenticating.
   * @returns the new generation, for tokens issued from now on
   */
  async endSessions(deviceId: string): Promise<number> {
    const device = await this.devices.findOneBy({ id: deviceId });
    const next = (device?.sessionGeneration ?? 0) + 1;
    await this.devices.update({ id: deviceId }, { sessionGeneration: next });
    return next;
  }

  async list(userId: string, currentDeviceId: string): Promise<DeviceDto[]> {
    const devices = await this.devices.find({
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return devices.map((device) => this.toDto(device, currentDeviceId));
  }

  /**
   * @throws DEVICE_NOT_FOUND for another user's or a revoked device
   * @throws VALIDATION_FAILED when registrationId is sent for a device other than the current one
   */
  async update(
    userId: string,
    currentDeviceId: string,
    id: string,
    changes: DeviceUpdateRequestDto,
  ): Promise<DeviceDto> {
    const device = await this.findOwned(userId, id);
    if (changes.registrationId !== undefined && id !== currentDeviceId) {
      throw commonError(CommonErrorCode.ValidationFailed, 'registrationId: can only be set by the device itself', {
        fields: [{ field: 'registrationId', problems: ['can only be set by the device itself'] }],
      });
    }
    const patch: Partial<Pick<DeviceEntity, 'name' | 'registrationId'>> = {};
    if (changes.name !== undefined) patch.name = changes.name;
    if (changes.registrationId !== undefined) patch.registrationId = changes.registrationId;
    if (Object.keys(patch).length > 0) {
      await this.devices.update({ id, userId }, patch);
      Object.assign(device, patch);
      if (patch.registrationId !== undefined) this.changed({ userId, deviceId: id, revoked: false });
    }
    return this.toDto(device, currentDeviceId);
  }

  /**
   * Revokes the device: from the commit on, its access tokens fail (see {@link authenticate}) and the
   * revocation hooks have dropped its refresh tokens; change listeners hear of it after the commit.
   * @throws DEVICE_NOT_FOUND
   */
  async revoke(userId: string, id: string): Promise<void> {
    await this.devices.manager.transaction(async (manager) => {
      const result = await manager.update(DeviceEntity, { id, userId, revokedAt: IsNull() }, { revokedAt: new Date() });
      if (!result.affected) throw devicesError(DevicesErrorCode.DeviceNotFound, 'no such device');
      for (const hook of this.revocationHooks) await hook(manager, { id, userId });
    });
    this.changed({ userId, deviceId: id, revoked: true });
  }

  toDto(device: DeviceEntity, currentDeviceId: string): DeviceDto {
    return {
      id: device.id,
      name: device.name,
      registrationId: device.registrationId,
      createdAt: device.createdAt.toISOString(),
      lastSeenAt: device.lastSeenAt.toISOString(),
      current: device.id === currentDeviceId,
    };
  }

  private changed(change: DeviceChange): void {
    for (const listener of this.changeListeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.warn(`device change listener failed: ${(error as Error).message}`);
      }
    }
  }

  private countActive(userId: string): Promise<number> {
    return this.devices.countBy({ userId, revokedAt: IsNull() });
  }

  private limitReached(limit: number) {
    return devicesError(
      DevicesErrorCode.DeviceLimitReached,
      `a user may have at most ${limit} devices; revoke one first`,
      { limit },
    );
  }
}
