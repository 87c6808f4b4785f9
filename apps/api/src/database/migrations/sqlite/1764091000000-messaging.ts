import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Message headers and the per-device envelope queue (SQLite). Envelope ids are an integer sequence:
 * it is the server order a device drains its queue in. No foreign keys on these two hot tables:
 * every send writes several rows, and revocation hooks remove a device's envelopes explicitly.
 */
export class Messaging1764091000000 implements MigrationInterface {
  name = 'Messaging1764091000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "messages" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "sender_user_id" varchar(36) NOT NULL,
      "sender_device_id" varchar(36) NOT NULL,
      "client_message_id" varchar(64) NOT NULL,
      "recipient_user_id" varchar(36) NOT NULL,
      "kind" varchar(16) NOT NULL,
      "created_at" bigint NOT NULL,
      "delivered_at" bigint NULL
    )`);
    await db.query(
      `CREATE UNIQUE INDEX "uq_messages_client_id" ON "messages" ("sender_device_id", "client_message_id")`,
    );
    await db.query(
      `CREATE INDEX "idx_messages_conversation" ON "messages" ("sender_user_id", "recipient_user_id", "created_at")`,
    );

    await db.query(`CREATE TABLE "envelopes" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "device_id" varchar(36) NOT NULL,
      "user_id" varchar(36) NOT NULL,
      "kind" varchar(16) NOT NULL,
      "message_id" varchar(36) NULL,
      "sender_user_id" varchar(36) NULL,
      "sender_device_id" varchar(36) NULL,
      "conversation_user_id" varchar(36) NULL,
      "type" integer NOT NULL,
      "ciphertext" blob NULL,
      "notice" text NULL,
      "created_at" bigint NOT NULL
    )`);
    await db.query(`CREATE INDEX "idx_envelopes_device" ON "envelopes" ("device_id", "id")`);
    await db.query(`CREATE INDEX "idx_envelopes_created" ON "envelopes" ("created_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "envelopes"`);
    await db.query(`DROP TABLE "messages"`);
  }
}
