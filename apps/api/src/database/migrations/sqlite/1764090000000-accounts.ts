import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, their devices and refresh tokens (SQLite). */
export class Accounts1764090000000 implements MigrationInterface {
  name = 'Accounts1764090000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "users" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "handle" varchar(32) NOT NULL,
      "password_hash" varchar(255) NOT NULL,
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL
    )`);
    await db.query(`CREATE UNIQUE INDEX "uq_users_handle" ON "users" ("handle")`);

    await db.query(`CREATE TABLE "devices" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "user_id" varchar(36) NOT NULL,
      "name" varchar(64) NOT NULL,
      "registration_id" integer NULL,
      "created_at" datetime NOT NULL,
      "last_seen_at" datetime NOT NULL,
      "revoked_at" datetime NULL,
      CONSTRAINT "fk_devices_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
    )`);
    await db.query(`CREATE INDEX "idx_devices_user" ON "devices" ("user_id")`);

    await db.query(`CREATE TABLE "refresh_tokens" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "user_id" varchar(36) NOT NULL,
      "device_id" varchar(36) NOT NULL,
      "family_id" varchar(36) NOT NULL,
      "token_hash" varchar(64) NOT NULL,
      "created_at" datetime NOT NULL,
      "expires_at" datetime NOT NULL,
      "revoked_at" datetime NULL,
      "replaced_by" varchar(36) NULL,
      CONSTRAINT "fk_refresh_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
      CONSTRAINT "fk_refresh_tokens_device" FOREIGN KEY ("device_id") REFERENCES "devices" ("id") ON DELETE CASCADE
    )`);
    await db.query(`CREATE UNIQUE INDEX "uq_refresh_tokens_hash" ON "refresh_tokens" ("token_hash")`);
    await db.query(`CREATE INDEX "idx_refresh_tokens_family" ON "refresh_tokens" ("family_id")`);
    await db.query(`CREATE INDEX "idx_refresh_tokens_device" ON "refresh_tokens" ("device_id")`);
    await db.query(`CREATE INDEX "idx_refresh_tokens_user" ON "refresh_tokens" ("user_id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "refresh_tokens"`);
    await db.query(`DROP TABLE "devices"`);
    await db.query(`DROP TABLE "users"`);
  }
}
