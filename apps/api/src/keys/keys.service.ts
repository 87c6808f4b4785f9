import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { nativeEngine } from '@pairchat/crypto/native';
import {
  decodeKeysUpload,
  type DecodedKeysUpload,
  type DeviceAddressList,
  type DeviceBundleWire,
  type KeyFieldError,
  KeyValidationError,
  needsReplenish,
  type PreKeyBundleResponse,
  type PreKeyCountResponse,
  rotationDue,
  verifyKeysUpload,
} from '@pairchat/keys';
import { EntityManager, In, IsNull, Repository } from 'typeorm';
import type { AuthContext } from '../auth/auth-context.js';
import { AppConfig } from '../config/app-config.js';
import { isUniqueViolation } from '../database/db-errors.js';
import { DevicesService } from '../devices/devices.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PairingService } from '../pairing/pairing.service.js';
import { deviceRoom, SocketEmitter } from '../realtime/socket-emitter.js';
import { KeyFetchRateLimiter } from './fetch-rate-limiter.js';
import { keysError, KeysErrorCode } from './keys.errors.js';
import { KeysRepository } from './keys.repository.js';
import {
  DeviceKeysEntity,
  EcPreKeyEntity,
  IdentityKeyEntity,
  KyberPreKeyEntity,
  SignedPreKeyEntity,
} from './prekey.entity.js';

/** Protocol device ids are 1..127 (libsignal's `DeviceId`). */
const MAX_PROTOCOL_DEVICE_ID = 127;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * The key directory: stores public prekeys after checking every signature with libsignal-client,
 * hands out bundles with atomic one-time prekey claims, and tells devices to replenish and rotate.
 * It never sees a private key: the upload schema has no field for one.
 */
@Injectable()
export class KeysService {
  private readonly claims = this.metrics.counter(
    'pairchat_prekey_claims_total',
    'Prekey bundles handed out, per device',
  );
  private readonly fallbacks = this.metrics.counter(
    'pairchat_prekey_last_resort_fallbacks_total',
    'Bundles that carried the last-resort Kyber prekey because one-time Kyber prekeys ran out',
  );
  private readonly noOneTimeEc = this.metrics.counter(
    'pairchat_prekey_ec_exhausted_total',
    'Bundles handed out without a one-time EC prekey',
  );

  constructor(
    @InjectRepository(IdentityKeyEntity) private readonly identities: Repository<IdentityKeyEntity>,
    @InjectRepository(DeviceKeysEntity) private readonly deviceKeys: Repository<DeviceKeysEntity>,
    @InjectRepository(SignedPreKeyEntity) private readonly signedPreKeys: Repository<SignedPreKeyEntity>,
    @InjectRepository(KyberPreKeyEntity) private readonly kyberPreKeys: Repository<KyberPreKeyEntity>,
    private readonly repository: KeysRepository,
    private readonly devices: DevicesService,
    private readonly pairing: PairingService,
    private readonly emitter: SocketEmitter,
    private readonly rateLimiter: KeyFetchRateLimiter,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    devices.onRevoke((manager, device) => this.deleteDeviceKeys(manager, [device.id], true));
  }

  private readonly changeListeners: ((userId: string) => void)[] = [];

  /** Called after an upload or identity reset committed: which of the user's devices have keys may have changed. */
  onChanged(listener: (userId: string) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(userId: string): void {
    for (const listener of this.changeListeners) listener(userId);
  }

  /**
   * `PUT /keys`: stores the calling device's public keys. Checks shape, lengths, key types, ids and
   * every signature before anything is written; then writes everything in one transaction.
   * @throws INVALID_KEYS (400, `details.fields`), IDENTITY_KEY_MISMATCH (409), REGISTRATION_ID_MISSING (400)
   */
  async upload(auth: AuthContext, body: unknown, now = new Date()): Promise<PreKeyCountResponse> {
    const upload = this.decode(body);
    const existing = await this.identities.findOneBy({ userId: auth.userId });
    if (existing) this.requireSameIdentity(existing, upload);
    await this.verify(upload);
    const hasKeys = await this.deviceKeys.existsBy({ deviceId: auth.deviceId });
    if (!hasKeys) this.requireFullUpload(upload, 'the first upload of a device');
    const registrationId = await this.registrationIdToSet(auth, upload);

    await this.write(async (manager) => {
      // Re-read under the transaction: an identity reset may have committed since the check above.
      const current = await manager.findOneBy(IdentityKeyEntity, { userId: auth.userId });
      if (current) this.requireSameIdentity(current, upload);
      else await this.insertIdentity(manager, auth.userId, upload.identityKey, now);
      if (!hasKeys) await this.assignProtocolDeviceId(manager, auth, now);
      await this.storeKeys(manager, auth.deviceId, upload, now);
    });
    await this.applyRegistrationId(auth, registrationId);
    this.changed(auth.userId);
    return this.count(auth, now);
  }

  /**
   * `PUT /keys/identity`: the explicit identity reset (a new identity after the old one was lost).
   * Replaces the account identity key and drops the prekeys of EVERY device of the account, whose
   * signatures were made with the old identity; the calling device's new keys are stored at once,
   * other devices must be linked again. Contacts then see a safety-number change.
   */
  async resetIdentity(auth: AuthContext, body: unknown, now = new Date()): Promise<PreKeyCountResponse> {
    const upload = this.decode(body);
    this.requireFullUpload(upload, 'an identity reset');
    await this.verify(upload);
    const registrationId = await this.registrationIdToSet(auth, upload);
    const hasKeys = await this.deviceKeys.existsBy({ deviceId: auth.deviceId });
    await this.write(async (manager) => {
      await manager.delete(IdentityKeyEntity, { userId: auth.userId });
      await this.insertIdentity(manager, auth.userId, upload.identityKey, now);
      const all = await manager.findBy(DeviceKeysEntity, { userId: auth.userId });
      await this.deleteDeviceKeys(
        manager,
        all.map((d) => d.deviceId),
        false,
      );
      if (!hasKeys) await this.assignProtocolDeviceId(manager, auth, now);
      await this.storeKeys(manager, auth.deviceId, upload, now);
    });
    await this.applyRegistrationId(auth, registrationId);
    this.changed(auth.userId);
    return this.count(auth, now);
  }

  /**
   * `GET /keys/:userId`: one bundle per active device of `targetUserId` (the caller's own account:
   * its other devices, for sync copies). Each bundle consumes one one-time EC and one one-time Kyber
   * prekey; without one-time Kyber keys the last-resort key is used. With `deviceIds`, only those of
   * its devices get a bundle (the ones the caller has no session with); other ids are left out.
   * @throws KEYS_NOT_FOUND (404) when not paired (or blocked), unknown, or without keys: the same
   *   answer in every case, so the endpoint is no oracle
   * @throws KEY_FETCH_RATE_LIMITED (429, `details.retryAfterSeconds`)
   */
  async claimBundles(auth: AuthContext, targetUserId: string, deviceIds?: string[]): Promise<PreKeyBundleResponse> {
    const self = targetUserId === auth.userId;
    const notFound = () => keysError(KeysErrorCode.KeysNotFound, 'no keys for this user');
    if (!self && !(await this.pairing.canCommunicate(auth.userId, targetUserId))) throw notFound();
    const identity = await this.identities.findOneBy({ userId: targetUserId });
    if (!identity) throw notFound();
    // Only the devices the caller needs a session with: the others keep their one-time prekeys.
    const wanted = deviceIds ? new Set(deviceIds) : null;
    const active = (await this.devices.list(targetUserId, auth.deviceId)).filter(
      (d) => !(self && d.current) && (!wanted || wanted.has(d.id)),
    );
    const registered = active.length
      ? await this.deviceKeys.findBy({ userId: targetUserId, deviceId: In(active.map((d) => d.id)) })
      : [];
    if (registered.length === 0) {
      // Named devices that are gone: an empty answer (the pair check above already passed).
      if (self || wanted) return { identityKey: b64(identity.publicKey), devices: [] };
      throw notFound();
    }

    const wait = await this.rateLimiter.take(registered.map((d) => `${auth.userId}:${d.deviceId}`));
    if (wait > 0) {
      throw keysError(KeysErrorCode.RateLimited, 'too many key fetches for this user; try again later', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }

    const registrationIds = new Map(active.map((d) => [d.id, d.registrationId]));
    const bundles: DeviceBundleWire[] = [];
    for (const device of registered) {
      const bundle = await this.claimDeviceBundle(device, registrationIds.get(device.deviceId) ?? null);
      if (bundle) bundles.push(bundle);
    }
    if (bundles.length === 0 && !self && !wanted) throw notFound();
    void this.signalReplenish(bundles.map((b) => b.deviceId));
    return { identityKey: b64(identity.publicKey), devices: bundles };
  }

  /**
   * `GET /keys/:userId/devices`: the protocol addresses of `targetUserId`'s active devices that have
   * keys (the caller's own account: every device, the caller's included), so a recipient can name
   * the sender of an envelope. Claims nothing and is not rate limited like bundle fetches.
   * @throws KEYS_NOT_FOUND (404) when not paired (or blocked) or unknown: the same answer as
   *   {@link claimBundles}, so neither endpoint is an oracle
   */
  async listDeviceAddresses(auth: AuthContext, targetUserId: string): Promise<DeviceAddressList> {
    const self = targetUserId === auth.userId;
    if (!self && !(await this.pairing.canCommunicate(auth.userId, targetUserId))) {
      throw keysError(KeysErrorCode.KeysNotFound, 'no keys for this user');
    }
    const active = await this.devices.list(targetUserId, auth.deviceId);
    const registered = active.length
      ? await this.deviceKeys.findBy({ userId: targetUserId, deviceId: In(active.map((d) => d.id)) })
      : [];
    const withKeys = await this.devicesWithKeys(registered.map((d) => d.deviceId));
    const registrationIds = new Map(active.map((d) => [d.id, d.registrationId]));
    const devices: DeviceAddressList['devices'] = [];
    for (const device of registered) {
      const registrationId = registrationIds.get(device.deviceId) ?? null;
      if (registrationId === null || !withKeys.has(device.deviceId)) continue;
      devices.push({ deviceId: device.deviceId, protocolDeviceId: device.protocolDeviceId, registrationId });
    }
    return { devices: devices.sort((a, b) => a.protocolDeviceId - b.protocolDeviceId) };
  }

  /**
   * `GET /keys/count`: what the calling device has left, and whether it should replenish or rotate.
   * @throws KEYS_NOT_FOUND before the device's first upload
   */
  async count(auth: AuthContext, now = new Date()): Promise<PreKeyCountResponse> {
    const device = await this.deviceKeys.findOneBy({ deviceId: auth.deviceId });
    const [signed, lastResort] = await Promise.all([
      this.signedPreKeys.findOneBy({ deviceId: auth.deviceId, replacedAt: IsNull() }),
      this.kyberPreKeys.findOneBy({ deviceId: auth.deviceId, lastResort: true, replacedAt: IsNull() }),
    ]);
    if (!device || !signed || !lastResort) throw keysError(KeysErrorCode.KeysNotFound, 'this device has no keys yet');
    const counts = await this.repository.countOneTime(auth.deviceId);
    const oldest = Math.min(signed.uploadedAt.getTime(), lastResort.uploadedAt.getTime());
    return {
      ...counts,
      protocolDeviceId: device.protocolDeviceId,
      replenish: needsReplenish(counts, this.config.keys.replenishThreshold),
      signedPreKeyUploadedAt: signed.uploadedAt.toISOString(),
      lastResortKyberPreKeyUploadedAt: lastResort.uploadedAt.toISOString(),
      rotationDue: rotationDue(oldest, now.getTime()),
    };
  }

  /**
   * Which of these devices can be written to: those with a current signed prekey (and so a bundle).
   * A device that never uploaded keys, or lost them in an identity reset, cannot decrypt anything.
   */
  async devicesWithKeys(deviceIds: string[]): Promise<Set<string>> {
    if (deviceIds.length === 0) return new Set();
    const rows = await this.signedPreKeys.find({
      where: { deviceId: In(deviceIds), replacedAt: IsNull() },
      select: { deviceId: true },
    });
    return new Set(rows.map((row) => row.deviceId));
  }

  private decode(body: unknown): DecodedKeysUpload {
    try {
      return decodeKeysUpload(body);
    } catch (error) {
      if (error instanceof KeyValidationError) throw this.invalid(error.errors);
      throw error;
    }
  }

  /** Every signature must verify under the upload's identity key (checked equal to the account's). */
  private async verify(upload: DecodedKeysUpload): Promise<void> {
    const errors = await verifyKeysUpload(upload, nativeEngine.keys);
    if (errors.length) throw this.invalid(errors);
  }

  private requireFullUpload(upload: DecodedKeysUpload, what: string): void {
    const missing = (['signedPreKey', 'lastResortKyberPreKey'] as const)
      .filter((field) => !upload[field])
      .map((field) => ({ field, problem: `required in ${what}` }));
    if (missing.length) throw this.invalid(missing);
  }

  private invalid(errors: KeyFieldError[]) {
    return keysError(KeysErrorCode.InvalidKeys, errors.map((e) => `${e.field}: ${e.problem}`).join('; '), {
      fields: errors,
    });
  }

  private requireSameIdentity(stored: IdentityKeyEntity, upload: DecodedKeysUpload): void {
    if (!stored.publicKey.equals(Buffer.from(upload.identityKey))) {
      throw keysError(
        KeysErrorCode.IdentityKeyMismatch,
        'identityKey: differs from the account identity key; resetting it is a separate, explicit step (PUT /keys/identity)',
      );
    }
  }

  /**
   * The registration id to record for the device after the keys are stored, or null when it has the
   * right one already. Checked before anything is written; written only after the keys committed.
   * @throws REGISTRATION_ID_MISSING
   */
  private async registrationIdToSet(auth: AuthContext, upload: DecodedKeysUpload): Promise<number | null> {
    const device = await this.devices.findOwned(auth.userId, auth.deviceId);
    if (upload.registrationId !== undefined) {
      return upload.registrationId === device.registrationId ? null : upload.registrationId;
    }
    if (device.registrationId === null) {
      throw keysError(
        KeysErrorCode.RegistrationIdMissing,
        'registrationId: this device has none yet; send it with the keys',
      );
    }
    return null;
  }

  private async applyRegistrationId(auth: AuthContext, registrationId: number | null): Promise<void> {
    if (registrationId !== null) {
      await this.devices.update(auth.userId, auth.deviceId, auth.deviceId, { registrationId });
    }
  }

  /** One transaction; a unique-index clash with a concurrent upload is a 409 to retry, not a 500. */
  private async write(work: (manager: EntityManager) => Promise<void>): Promise<void> {
    try {
      await this.deviceKeys.manager.transaction(work);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw keysError(KeysErrorCode.UploadConflict, 'another key upload for this account ran at the same time; retry');
    }
  }

  private async insertIdentity(manager: EntityManager, userId: string, key: Uint8Array, now: Date): Promise<void> {
    try {
      await manager.insert(IdentityKeyEntity, { userId, publicKey: Buffer.from(key), createdAt: now, updatedAt: now });
    } catch (error) {
      // Two devices of a new account uploading at once: the first identity wins, a different one is refused.
      if (!isUniqueViolation(error)) throw error;
      const winner = await manager.findOneBy(IdentityKeyEntity, { userId });
      if (!winner || !winner.publicKey.equals(Buffer.from(key))) {
        throw keysError(KeysErrorCode.IdentityKeyMismatch, 'identityKey: differs from the account identity key');
      }
    }
  }

  /** The smallest protocol device id (1..127) the account does not use yet. */
  private async assignProtocolDeviceId(manager: EntityManager, auth: AuthContext, now: Date): Promise<void> {
    const used = new Set(
      (await manager.findBy(DeviceKeysEntity, { userId: auth.userId })).map((d) => d.protocolDeviceId),
    );
    for (let id = 1; id <= MAX_PROTOCOL_DEVICE_ID; id++) {
      if (used.has(id)) continue;
      await manager.insert(DeviceKeysEntity, {
        deviceId: auth.deviceId,
        userId: auth.userId,
        protocolDeviceId: id,
        createdAt: now,
      });
      return;
    }
    throw keysError(KeysErrorCode.ProtocolDeviceIdsExhausted, 'this account has used every protocol device id');
  }

  private async storeKeys(manager: EntityManager, deviceId: string, upload: DecodedKeysUpload, now: Date) {
    await this.refuseStoredIds(manager, deviceId, upload);
    if (upload.signedPreKey) {
      await manager.update(SignedPreKeyEntity, { deviceId, replacedAt: IsNull() }, { replacedAt: now });
      await manager.insert(SignedPreKeyEntity, {
        deviceId,
        keyId: upload.signedPreKey.keyId,
        publicKey: Buffer.from(upload.signedPreKey.publicKey),
        signature: Buffer.from(upload.signedPreKey.signature),
        uploadedAt: now,
        replacedAt: null,
      });
    }
    if (upload.lastResortKyberPreKey) {
      await manager.update(
        KyberPreKeyEntity,
        { deviceId, lastResort: true, replacedAt: IsNull() },
        { replacedAt: now },
      );
    }
    const kyber = [
      ...(upload.lastResortKyberPreKey ? [{ key: upload.lastResortKyberPreKey, lastResort: true }] : []),
      ...upload.kyberPreKeys.map((key) => ({ key, lastResort: false })),
    ];
    if (kyber.length) {
      await manager.insert(
        KyberPreKeyEntity,
        kyber.map(({ key, lastResort }) => ({
          deviceId,
          keyId: key.keyId,
          publicKey: Buffer.from(key.publicKey),
          signature: Buffer.from(key.signature),
          lastResort,
          uploadedAt: now,
          replacedAt: null,
        })),
      );
    }
    if (upload.preKeys.length) {
      await manager.insert(
        EcPreKeyEntity,
        upload.preKeys.map((key) => ({
          deviceId,
          keyId: key.keyId,
          publicKey: Buffer.from(key.publicKey),
          uploadedAt: now,
        })),
      );
    }
  }

  /** Key ids are never reused on one device: a sender may still hold a bundle naming the old key. */
  private async refuseStoredIds(manager: EntityManager, deviceId: string, upload: DecodedKeysUpload): Promise<void> {
    const kyberIds = [
      ...(upload.lastResortKyberPreKey ? [upload.lastResortKyberPreKey.keyId] : []),
      ...upload.kyberPreKeys.map((k) => k.keyId),
    ];
    const ecIds = upload.preKeys.map((k) => k.keyId);
    const [signed, kyber, ec] = await Promise.all([
      upload.signedPreKey
        ? manager.findBy(SignedPreKeyEntity, { deviceId, keyId: upload.signedPreKey.keyId })
        : Promise.resolve([]),
      kyberIds.length ? manager.findBy(KyberPreKeyEntity, { deviceId, keyId: In(kyberIds) }) : Promise.resolve([]),
      ecIds.length ? manager.findBy(EcPreKeyEntity, { deviceId, keyId: In(ecIds) }) : Promise.resolve([]),
    ]);
    const taken = (field: string, ids: number[], stored: { keyId: number }[]): KeyFieldError[] => {
      const storedIds = new Set(stored.map((k) => Number(k.keyId)));
      return ids.flatMap((id, i) =>
        storedIds.has(id) ? [{ field: field.replace('#', String(i)), problem: `id ${id} is already stored` }] : [],
      );
    };
    const lastResortOffset = upload.lastResortKyberPreKey ? 1 : 0;
    const errors = [
      ...(upload.signedPreKey ? taken('signedPreKey.keyId', [upload.signedPreKey.keyId], signed) : []),
      ...(upload.lastResortKyberPreKey ? taken('lastResortKyberPreKey.keyId', kyberIds.slice(0, 1), kyber) : []),
      ...taken('kyberPreKeys[#].keyId', kyberIds.slice(lastResortOffset), kyber),
      ...taken('preKeys[#].keyId', ecIds, ec),
    ];
    if (errors.length) throw this.invalid(errors);
  }

  private async claimDeviceBundle(
    device: DeviceKeysEntity,
    registrationId: number | null,
  ): Promise<DeviceBundleWire | null> {
    const [signed, lastResort] = await Promise.all([
      this.signedPreKeys.findOneBy({ deviceId: device.deviceId, replacedAt: IsNull() }),
      this.kyberPreKeys.findOneBy({ deviceId: device.deviceId, lastResort: true, replacedAt: IsNull() }),
    ]);
    if (!signed || !lastResort || registrationId === null) return null;
    const { ec, kyber } = await this.repository.claimOneTime(device.deviceId);
    this.claims.inc();
    if (!kyber) this.fallbacks.inc();
    if (!ec) this.noOneTimeEc.inc();
    const kyberKey = kyber ?? lastResort;
    return {
      deviceId: device.deviceId,
      protocolDeviceId: device.protocolDeviceId,
      registrationId,
      signedPreKey: { keyId: signed.keyId, publicKey: b64(signed.publicKey), signature: b64(signed.signature) },
      preKey: ec ? { keyId: ec.keyId, publicKey: b64(ec.publicKey) } : null,
      kyberPreKey: {
        keyId: Number(kyberKey.keyId),
        publicKey: b64(kyberKey.publicKey),
        signature: b64(kyberKey.signature),
      },
    };
  }

  /** Tells each device that fell below the threshold to upload more (best effort; it also polls /keys/count). */
  private async signalReplenish(deviceIds: string[]): Promise<void> {
    for (const deviceId of deviceIds) {
      const counts = await this.repository.countOneTime(deviceId).catch(() => null);
      if (counts && needsReplenish(counts, this.config.keys.replenishThreshold)) {
        this.emitter.send('keys:replenish', deviceRoom(deviceId), counts);
      }
    }
  }

  private async deleteDeviceKeys(manager: EntityManager, deviceIds: string[], releaseProtocolId: boolean) {
    if (deviceIds.length === 0) return;
    const where = { deviceId: In(deviceIds) };
    await manager.delete(EcPreKeyEntity, where);
    await manager.delete(KyberPreKeyEntity, where);
    await manager.delete(SignedPreKeyEntity, where);
    if (releaseProtocolId) await manager.delete(DeviceKeysEntity, where);
  }
}
