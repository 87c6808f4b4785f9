import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isOutOfDate, SIGNED_PREKEY_ROTATION_MS } from '@pairchat/keys';
import { In, IsNull, LessThan, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { KyberPreKeyEntity, SignedPreKeyEntity } from '../keys/prekey.entity.js';
import { deviceRoom, SocketEmitter } from '../realtime/socket-emitter.js';

export interface SweepResult {
  purgedSignedPreKeys: number;
  purgedKyberPreKeys: number;
  devicesReminded: number;
}

/**
 * Key age policy, run on a timer: purges signed and last-resort prekeys whose grace period after
 * replacement is over, and reminds devices whose current ones are due (2 days) or out of date
 * (14 days) to rotate. Idempotent, so every api replica may run it.
 */
@Injectable()
export class RotationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private readonly logger = new Logger(RotationService.name);

  constructor(
    @InjectRepository(SignedPreKeyEntity) private readonly signedPreKeys: Repository<SignedPreKeyEntity>,
    @InjectRepository(KyberPreKeyEntity) private readonly kyberPreKeys: Repository<KyberPreKeyEntity>,
    private readonly emitter: SocketEmitter,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () =>
        void this.sweep().catch((error: unknown) =>
          this.logger.warn(`key rotation sweep failed: ${(error as Error).name}`),
        ),
      this.config.keys.rotationSweepMs,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(now = new Date()): Promise<SweepResult> {
    const graceEnd = new Date(now.getTime() - this.config.keys.replacedKeyGraceMs);
    const signed = await this.signedPreKeys.delete({ replacedAt: LessThan(graceEnd) });
    const kyber = await this.kyberPreKeys.delete({ lastResort: true, replacedAt: LessThan(graceEnd) });
    return {
      purgedSignedPreKeys: signed.affected ?? 0,
      purgedKyberPreKeys: kyber.affected ?? 0,
      devicesReminded: await this.remindDue(now),
    };
  }

  /** Tells every device whose current signed or last-resort key is due for rotation. */
  private async remindDue(now: Date): Promise<number> {
    const old = { replacedAt: IsNull(), uploadedAt: LessThan(new Date(now.getTime() - SIGNED_PREKEY_ROTATION_MS)) };
    const [oldSigned, oldKyber] = await Promise.all([
      this.signedPreKeys.find({ where: old, select: { deviceId: true } }),
      this.kyberPreKeys.find({ where: { ...old, lastResort: true }, select: { deviceId: true } }),
    ]);
    const deviceIds = [...new Set([...oldSigned, ...oldKyber].map((row) => row.deviceId))];
    if (deviceIds.length === 0) return 0;
    const current = { deviceId: In(deviceIds), replacedAt: IsNull() };
    const [signed, kyber] = await Promise.all([
      this.signedPreKeys.find({ where: current, select: { deviceId: true, uploadedAt: true } }),
      this.kyberPreKeys.find({ where: { ...current, lastResort: true }, select: { deviceId: true, uploadedAt: true } }),
    ]);
    const kyberAt = new Map(kyber.map((row) => [row.deviceId, row.uploadedAt]));
    let reminded = 0;
    for (const { deviceId, uploadedAt: signedAt } of signed) {
      const lastResortAt = kyberAt.get(deviceId);
      if (!lastResortAt) continue;
      const oldest = Math.min(signedAt.getTime(), lastResortAt.getTime());
      this.emitter.send('keys:rotate', deviceRoom(deviceId), {
        reason: isOutOfDate(oldest, now.getTime(), this.config.keys.signedPreKeyMaxAgeMs) ? 'stale' : 'due',
        signedPreKeyUploadedAt: signedAt.toISOString(),
        lastResortKyberPreKeyUploadedAt: lastResortAt.toISOString(),
      });
      reminded++;
    }
    return reminded;
  }
}
