import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Key directory: account identity keys, per-device protocol ids, signed and one-time prekeys (SQLite). */
export class Keys1764092000000 implements MigrationInterface {
  name = 'Keys1764092000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "identity_keys" (
      "user_id" varchar(36) PRIMARY KEY NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
      "public_key" blob NOT NULL,
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL
    )`);
    await db.query(`CREATE TABLE "device_keys" (
      "device_id" varchar(36) PRIMARY KEY NOT NULL REFERENCES "devices" ("id") ON DELETE CASCADE,
      "user_id" varchar(36) NOT NULL,
      "protocol_device_id" integer NOT NULL,
      "created_at" datetime NOT NULL
    )`);
    await db.query(
      `CREATE UNIQUE INDEX "uq_device_keys_protocol_id" ON "device_keys" ("user_id", "protocol_device_id")`,
    );
    await db.query(`CREATE TABLE "signed_prekeys" (
      "device_id" varchar(36) NOT NULL REFERENCES "devices" ("id") ON DELETE CASCADE,
      "key_id" integer NOT NULL,
      "public_key" blob NOT NULL,
      "signature" blob NOT NULL,
      "uploaded_at" datetime NOT NULL,
      "replaced_at" datetime NULL,
      PRIMARY KEY ("device_id", "key_id")
    )`);
    await db.query(`CREATE INDEX "idx_signed_prekeys_replaced" ON "signed_prekeys" ("replaced_at")`);
    await db.query(`CREATE TABLE "kyber_prekeys" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "device_id" varchar(36) NOT NULL REFERENCES "devices" ("id") ON DELETE CASCADE,
      "key_id" integer NOT NULL,
      "public_key" blob NOT NULL,
      "signature" blob NOT NULL,
      "last_resort" boolean NOT NULL,
      "uploaded_at" datetime NOT NULL,
      "replaced_at" datetime NULL
    )`);
    await db.query(`CREATE UNIQUE INDEX "uq_kyber_prekeys_device_key" ON "kyber_prekeys" ("device_id", "key_id")`);
    await db.query(`CREATE INDEX "idx_kyber_prekeys_claim" ON "kyber_prekeys" ("device_id", "last_resort", "id")`);
    await db.query(`CREATE INDEX "idx_kyber_prekeys_replaced" ON "kyber_prekeys" ("replaced_at")`);
    await db.query(`CREATE TABLE "ec_prekeys" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "device_id" varchar(36) NOT NULL REFERENCES "devices" ("id") ON DELETE CASCADE,
      "key_id" integer NOT NULL,
      "public_key" blob NOT NULL,
      "uploaded_at" datetime NOT NULL
    )`);
    await db.query(`CREATE UNIQUE INDEX "uq_ec_prekeys_device_key" ON "ec_prekeys" ("device_id", "key_id")`);
    await db.query(`CREATE INDEX "idx_ec_prekeys_claim" ON "ec_prekeys" ("device_id", "id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['ec_prekeys', 'kyber_prekeys', 'signed_prekeys', 'device_keys', 'identity_keys']) {
      await db.query(`DROP TABLE "${table}"`);
    }
  }
}
