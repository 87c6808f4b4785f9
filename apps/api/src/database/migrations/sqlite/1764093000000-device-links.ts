import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Device linking: one open link per new device, with the sealed identity until delivery (SQLite). */
export class DeviceLinks1764093000000 implements MigrationInterface {
  name = 'DeviceLinks1764093000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "device_links" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "user_id" varchar(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
      "device_id" varchar(36) NOT NULL REFERENCES "devices" ("id") ON DELETE CASCADE,
      "token_hash" varchar(64) NOT NULL,
      "ephemeral_public_key" blob NOT NULL,
      "created_at" datetime NOT NULL,
      "expires_at" datetime NOT NULL,
      "completed_at" datetime NULL,
      "completed_by_device_id" varchar(36) NULL,
      "sealer_public_key" blob NULL,
      "ciphertext" blob NULL,
      "iv" blob NULL
    )`);
    await db.query(`CREATE INDEX "idx_device_links_user" ON "device_links" ("user_id")`);
    await db.query(`CREATE UNIQUE INDEX "uq_device_links_device" ON "device_links" ("device_id")`);
    await db.query(`CREATE INDEX "idx_device_links_expires" ON "device_links" ("expires_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "device_links"`);
  }
}
