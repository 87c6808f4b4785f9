import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  DEVICE_LINK_TOKEN_BYTES,
  DEVICE_LINK_TTL_SECONDS,
  type DeviceLinkCompleteRequestDto,
  type DeviceLinkCreatedDto,
  type DeviceLinkDto,
  type DeviceLinkStatus,
} from '@pairchat/messaging';
import { IsNull, LessThan, MoreThan, Repository } from 'typeorm';
import type { AuthContext } from '../auth/auth-context.js';
import { commonError, CommonErrorCode } from '../common/app-error.js';
import { isUniqueViolation } from '../database/db-errors.js';
import { deviceRoom, SocketEmitter } from '../realtime/socket-emitter.js';
import { DeviceLinkEntity } from './device-link.entity.js';
import { DeviceLinkRateLimiter } from './device-link-rate-limiter.js';
import { devicesError, DevicesErrorCode } from './devices.errors.js';
import { DevicesService } from './devices.service.js';

export const DEVICE_LINK_TTL_MS = DEVICE_LINK_TTL_SECONDS * 1000;
/**
 * Rows stay this long after expiry before the sweep deletes them: a link completed just before it
 * expired can still be fetched, and a late reader learns LINK_EXPIRED or LINK_ALREADY_USED rather
 * than LINK_NOT_FOUND.
 */
export const DEVICE_LINK_RETENTION_MS = 10 * 60_000;
/** How often each api process deletes old links (idempotent, so every replica may run it). */
export const DEVICE_LINK_SWEEP_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const b64 = (bytes: Buffer) => bytes.toString('base64');

/**
 * Device linking: a new device of an account asks for the account identity (`create`), an existing
 * device of the same account looks the request up (`get`) and completes it once (`complete`) with
 * the identity key pair sealed to the new device's ephemeral key and code secret; the new device
 * fetches the sealed identity and then drops it (`remove`). The server stores and relays only the
 * sealer's public key, a token hash and opaque ciphertext: it never sees the new device's key or
 * code secret (they travel only in the code), so it can neither read the identity nor seal one
 * the new device would accept, and an open link is useless without the token from the code.
 * Request shapes (lengths, base64) are checked by the DTOs before anything here runs.
 */
@Injectable()
export class DeviceLinksService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeviceLinksService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectRepository(DeviceLinkEntity) private readonly links: Repository<DeviceLinkEntity>,
    private readonly devices: DevicesService,
    private readonly emitter: SocketEmitter,
    private readonly rateLimiter: DeviceLinkRateLimiter,
  ) {
    devices.onRevoke(async (manager, device) => {
      await manager.delete(DeviceLinkEntity, { deviceId: device.id });
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () =>
        void this.sweep().catch((error: unknown) =>
          this.logger.warn(`device link sweep failed: ${(error as Error).name}`),
        ),
      DEVICE_LINK_SWEEP_MS,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * `POST /devices/links`: opens a link for the calling device, replacing its previous one.
   * @throws LINK_RATE_LIMITED
   */
  async create(auth: AuthContext, now = new Date()): Promise<DeviceLinkCreatedDto> {
    await this.rateLimiter.consume(auth.deviceId);
    const token = randomBytes(DEVICE_LINK_TOKEN_BYTES).toString('base64url');
    const link = this.links.create({
      id: randomUUID(),
      userId: auth.userId,
      deviceId: auth.deviceId,
      tokenHash: hashToken(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + DEVICE_LINK_TTL_MS),
      completedAt: null,
      completedByDeviceId: null,
      sealerPublicKey: null,
      ciphertext: null,
      iv: null,
    });
    try {
      await this.links.manager.transaction(async (manager) => {
        await manager.delete(DeviceLinkEntity, { deviceId: auth.deviceId });
        await manager.insert(DeviceLinkEntity, link);
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw commonError(CommonErrorCode.Conflict, 'another link for this device was created at the same time; retry');
    }
    return { linkId: link.id, linkToken: token, expiresAt: link.expiresAt.toISOString() };
  }

  /**
   * `GET /devices/links/:linkId`: for any active device of the account. Only the new device itself
   * is shown the sealed identity.
   * @throws LINK_NOT_FOUND for an unknown id or another account's link
   */
  async get(auth: AuthContext, linkId: string, now = new Date()): Promise<DeviceLinkDto> {
    return this.toDto(await this.findOwned(auth.userId, linkId), auth, now);
  }

  /**
   * `POST /devices/links/:linkId/complete`: stores the sealed identity, once. The check and the
   * write are one conditional UPDATE, so two completions racing cannot both succeed.
   * @param body - validated by DeviceLinkCompleteRequestDto (canonical base64 of the right lengths)
   * @throws LINK_NOT_FOUND, LINK_OWN_DEVICE, LINK_TOKEN_INVALID, LINK_ALREADY_USED, LINK_EXPIRED
   */
  async complete(
    auth: AuthContext,
    linkId: string,
    body: DeviceLinkCompleteRequestDto,
    now = new Date(),
  ): Promise<DeviceLinkDto> {
    const sealerPublicKey = Buffer.from(body.ephemeralPublicKey, 'base64');
    const iv = Buffer.from(body.iv, 'base64');
    const ciphertext = Buffer.from(body.ciphertext, 'base64');
    const link = await this.findOwned(auth.userId, linkId);
    if (link.deviceId === auth.deviceId) {
      throw devicesError(DevicesErrorCode.LinkOwnDevice, 'a device cannot complete its own link');
    }
    const tokenHash = hashToken(body.linkToken);
    if (!timingSafeEqual(Buffer.from(tokenHash), Buffer.from(link.tokenHash))) {
      throw devicesError(DevicesErrorCode.LinkTokenInvalid, 'the link token does not match this link');
    }
    this.requireOpen(link, now);
    const result = await this.links.update(
      { id: link.id, userId: auth.userId, tokenHash, completedAt: IsNull(), expiresAt: MoreThan(now) },
      { completedAt: now, completedByDeviceId: auth.deviceId, sealerPublicKey, ciphertext, iv },
    );
    if (!result.affected) {
      // Lost a race with another completion (or the clock passed the expiry in between).
      this.requireOpen(await this.findOwned(auth.userId, linkId), now);
      throw devicesError(DevicesErrorCode.LinkAlreadyUsed, 'this link was already used');
    }
    Object.assign(link, { completedAt: now, completedByDeviceId: auth.deviceId, sealerPublicKey, ciphertext, iv });
    this.emitter.send('device:link-completed', deviceRoom(link.deviceId), { linkId: link.id });
    return this.toDto(link, auth, now);
  }

  /**
   * `DELETE /devices/links/:linkId`: the new device has imported the identity, or cancels. A pending
   * link is deleted; a completed one loses its sealed identity at once but stays (public data only)
   * until the sweep, so a second use of its code is still answered LINK_ALREADY_USED.
   * @throws LINK_NOT_FOUND unless the link is the calling device's own
   */
  async remove(auth: AuthContext, linkId: string): Promise<void> {
    const own = { id: linkId, userId: auth.userId, deviceId: auth.deviceId };
    const link = await this.links.findOneBy(own);
    if (!link) throw this.notFound();
    if (!link.completedAt) {
      const deleted = await this.links.delete({ ...own, completedAt: IsNull() });
      if (deleted.affected) return;
      // Completed in the meantime: fall through and drop what was sealed.
    }
    await this.links.update(own, { ciphertext: null, iv: null, sealerPublicKey: null });
  }

  /** Deletes links that expired more than {@link DEVICE_LINK_RETENTION_MS} ago; returns how many. */
  async sweep(now = new Date()): Promise<number> {
    const result = await this.links.delete({ expiresAt: LessThan(new Date(now.getTime() - DEVICE_LINK_RETENTION_MS)) });
    return result.affected ?? 0;
  }

  private async findOwned(userId: string, id: string): Promise<DeviceLinkEntity> {
    const link = await this.links.findOneBy({ id, userId });
    if (!link) throw this.notFound();
    return link;
  }

  private requireOpen(link: DeviceLinkEntity, now: Date): void {
    if (link.completedAt) throw devicesError(DevicesErrorCode.LinkAlreadyUsed, 'this link was already used');
    if (link.expiresAt.getTime() <= now.getTime()) {
      throw devicesError(DevicesErrorCode.LinkExpired, 'this link has expired; show a new code on the new device');
    }
  }

  private status(link: DeviceLinkEntity, now: Date): DeviceLinkStatus {
    if (link.completedAt) return 'completed';
    return link.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
  }

  private async toDto(link: DeviceLinkEntity, auth: AuthContext, now: Date): Promise<DeviceLinkDto> {
    // Revoking the new device deletes its link in the same commit, so the device is there.
    const device = await this.devices.findOwned(link.userId, link.deviceId);
    const own = link.deviceId === auth.deviceId;
    const sealed =
      own && link.completedAt && link.sealerPublicKey && link.ciphertext && link.iv
        ? {
            ephemeralPublicKey: b64(link.sealerPublicKey),
            ciphertext: b64(link.ciphertext),
            iv: b64(link.iv),
            completedAt: link.completedAt.toISOString(),
          }
        : null;
    return {
      linkId: link.id,
      deviceId: link.deviceId,
      deviceName: device.name,
      createdAt: link.createdAt.toISOString(),
      expiresAt: link.expiresAt.toISOString(),
      status: this.status(link, now),
      sealed,
    };
  }

  private notFound() {
    return devicesError(DevicesErrorCode.LinkNotFound, 'no such device link');
  }
}
