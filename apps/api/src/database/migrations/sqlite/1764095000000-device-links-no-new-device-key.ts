import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device linking v2: the new device's ephemeral key travels only in the code, so the server no
 * longer stores it (SQLite 3.35+ drops an unindexed column in place). Open v1 links cannot be
 * completed by v2 clients; dropping them is the same as letting them expire.
 */
export class DeviceLinksNoNewDeviceKey1764095000000 implements MigrationInterface {
  name = 'DeviceLinksNoNewDeviceKey1764095000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM "device_links"`);
    await db.query(`ALTER TABLE "device_links" DROP COLUMN "ephemeral_public_key"`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM "device_links"`);
    await db.query(`ALTER TABLE "device_links" ADD COLUMN "ephemeral_public_key" blob NOT NULL DEFAULT x''`);
  }
}
