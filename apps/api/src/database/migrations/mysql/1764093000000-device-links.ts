import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Device linking: one open link per new device, with the sealed identity until delivery (MySQL/MariaDB). */
export class DeviceLinks1764093000000 implements MigrationInterface {
  name = 'DeviceLinks1764093000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE \`device_links\` (
      \`id\` varchar(36) NOT NULL,
      \`user_id\` varchar(36) NOT NULL,
      \`device_id\` varchar(36) NOT NULL,
      \`token_hash\` varchar(64) NOT NULL,
      \`ephemeral_public_key\` varbinary(32) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`expires_at\` datetime(3) NOT NULL,
      \`completed_at\` datetime(3) NULL,
      \`completed_by_device_id\` varchar(36) NULL,
      \`sealer_public_key\` varbinary(32) NULL,
      \`ciphertext\` varbinary(1024) NULL,
      \`iv\` varbinary(12) NULL,
      PRIMARY KEY (\`id\`),
      KEY \`idx_device_links_user\` (\`user_id\`),
      UNIQUE KEY \`uq_device_links_device\` (\`device_id\`),
      KEY \`idx_device_links_expires\` (\`expires_at\`),
      CONSTRAINT \`fk_device_links_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE,
      CONSTRAINT \`fk_device_links_device\` FOREIGN KEY (\`device_id\`) REFERENCES \`devices\` (\`id\`) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE \`device_links\``);
  }
}
