import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Message headers and the per-device envelope queue (MySQL/MariaDB). Envelope ids are an
 * AUTO_INCREMENT sequence: it is the server order a device drains its queue in. No foreign keys on
 * these two hot tables: every send writes several rows, and revocation hooks remove a device's
 * envelopes explicitly.
 */
export class Messaging1764091000000 implements MigrationInterface {
  name = 'Messaging1764091000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE \`messages\` (
      \`id\` varchar(36) NOT NULL,
      \`sender_user_id\` varchar(36) NOT NULL,
      \`sender_device_id\` varchar(36) NOT NULL,
      \`client_message_id\` varchar(64) NOT NULL,
      \`recipient_user_id\` varchar(36) NOT NULL,
      \`kind\` varchar(16) NOT NULL,
      \`created_at\` bigint NOT NULL,
      \`delivered_at\` bigint NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_messages_client_id\` (\`sender_device_id\`, \`client_message_id\`),
      KEY \`idx_messages_conversation\` (\`sender_user_id\`, \`recipient_user_id\`, \`created_at\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await db.query(`CREATE TABLE \`envelopes\` (
      \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
      \`device_id\` varchar(36) NOT NULL,
      \`user_id\` varchar(36) NOT NULL,
      \`kind\` varchar(16) NOT NULL,
      \`message_id\` varchar(36) NULL,
      \`sender_user_id\` varchar(36) NULL,
      \`sender_device_id\` varchar(36) NULL,
      \`conversation_user_id\` varchar(36) NULL,
      \`type\` int NOT NULL,
      \`ciphertext\` mediumblob NULL,
      \`notice\` text NULL,
      \`created_at\` bigint NOT NULL,
      PRIMARY KEY (\`id\`),
      KEY \`idx_envelopes_device\` (\`device_id\`, \`id\`),
      KEY \`idx_envelopes_created\` (\`created_at\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE \`envelopes\``);
    await db.query(`DROP TABLE \`messages\``);
  }
}
