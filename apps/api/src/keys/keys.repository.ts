import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface ClaimedEcPreKey {
  keyId: number;
  publicKey: Buffer;
}
export interface ClaimedKyberPreKey extends ClaimedEcPreKey {
  signature: Buffer;
}

/**
 * The one-time prekey claim, the query the key directory lives or dies by: under any number of
 * concurrent fetchers, each key is handed out at most once, oldest first.
 * - MySQL/MariaDB: one transaction, `SELECT ... FOR UPDATE SKIP LOCKED` then `DELETE`; concurrent
 *   claimers skip each other's locked rows instead of queueing on them.
 * - SQLite: a single `DELETE ... RETURNING` statement, atomic by itself.
 */
@Injectable()
export class KeysRepository {
  private readonly mysql: boolean;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.mysql = dataSource.options.type === 'mysql';
  }

  /** Claims (removes and returns) the oldest one-time EC and Kyber prekey of a device; null where none is left. */
  async claimOneTime(deviceId: string): Promise<{ ec: ClaimedEcPreKey | null; kyber: ClaimedKyberPreKey | null }> {
    if (!this.mysql) {
      const ec = await this.dataSource.query(
        `DELETE FROM "ec_prekeys" WHERE "id" = (SELECT "id" FROM "ec_prekeys" WHERE "device_id" = ? ORDER BY "id" LIMIT 1)
         RETURNING "key_id" AS "keyId", "public_key" AS "publicKey"`,
        [deviceId],
      );
      const kyber = await this.dataSource.query(
        `DELETE FROM "kyber_prekeys" WHERE "id" = (SELECT "id" FROM "kyber_prekeys" WHERE "device_id" = ? AND "last_resort" = 0 ORDER BY "id" LIMIT 1)
         RETURNING "key_id" AS "keyId", "public_key" AS "publicKey", "signature"`,
        [deviceId],
      );
      return { ec: ec[0] ?? null, kyber: kyber[0] ?? null };
    }
    return this.dataSource.transaction(async (manager) => ({
      ec: await this.claimMysql<ClaimedEcPreKey>(
        manager,
        'ec_prekeys',
        '`key_id` AS keyId, `public_key` AS publicKey',
        '',
        deviceId,
      ),
      kyber: await this.claimMysql<ClaimedKyberPreKey>(
        manager,
        'kyber_prekeys',
        '`key_id` AS keyId, `public_key` AS publicKey, `signature`',
        'AND `last_resort` = 0',
        deviceId,
      ),
    }));
  }

  /** Remaining one-time prekeys of a device. */
  async countOneTime(deviceId: string): Promise<{ ecPreKeys: number; kyberPreKeys: number }> {
    const q = this.mysql ? '`' : '"';
    const [ec] = await this.dataSource.query(
      `SELECT COUNT(*) AS n FROM ${q}ec_prekeys${q} WHERE ${q}device_id${q} = ?`,
      [deviceId],
    );
    const [kyber] = await this.dataSource.query(
      `SELECT COUNT(*) AS n FROM ${q}kyber_prekeys${q} WHERE ${q}device_id${q} = ? AND ${q}last_resort${q} = 0`,
      [deviceId],
    );
    return { ecPreKeys: Number(ec.n), kyberPreKeys: Number(kyber.n) };
  }

  private async claimMysql<T>(
    manager: EntityManager,
    table: string,
    columns: string,
    filter: string,
    deviceId: string,
  ): Promise<T | null> {
    const [row] = await manager.query(
      `SELECT \`id\`, ${columns} FROM \`${table}\` WHERE \`device_id\` = ? ${filter} ORDER BY \`id\` LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [deviceId],
    );
    if (!row) return null;
    await manager.query(`DELETE FROM \`${table}\` WHERE \`id\` = ?`, [row.id]);
    const { id: _id, ...key } = row;
    return { ...key, keyId: Number(key.keyId) } as T;
  }
}
