import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, their devices and refresh tokens (MySQL/MariaDB). */
export class Accounts1764090000000 implements MigrationInterface {
  name = 'Accounts1764090000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE \`users\` (
      \`id\` varchar(36) NOT NULL,
      \`handle\` varchar(32) NOT NULL,
      \`password_hash\` varchar(255) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`updated_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_users_handle\` (\`handle\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await db.query(`CREATE TABLE \`devices\` (
      \`id\` varchar(36) NOT NULL,
      \`user_id\` varchar(36) NOT NULL,
      \`name\` varchar(64) NOT NULL,
      \`registration_id\` int NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`last_seen_at\` datetime(3) NOT NULL,
      \`revoked_at\` datetime(3) NULL,
      PRIMARY KEY (\`id\`),
      KEY \`idx_devices_user\` (\`user_id\`),
      CONSTRAINT \`fk_devices_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await db.query(`CREATE TABLE \`refresh_tokens\` (
      \`id\` varchar(36) NOT NULL,
      \`user_id\` varchar(36) NOT NULL,
      \`device_id\` varchar(36) NOT NULL,
      \`family_id\` varchar(36) NOT NULL,
      \`token_hash\` varchar(64) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`expires_at\` datetime(3) NOT NULL,
      \`revoked_at\` datetime(3) NULL,
      \`replaced_by\` varchar(36) NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_refresh_tokens_hash\` (\`token_hash\`),
      KEY \`idx_refresh_tokens_family\` (\`family_id\`),
      KEY \`idx_refresh_tokens_device\` (\`device_id\`),
      KEY \`idx_refresh_tokens_user\` (\`user_id\`),
      CONSTRAINT \`fk_refresh_tokens_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE,
      CONSTRAINT \`fk_refresh_tokens_device\` FOREIGN KEY (\`device_id\`) REFERENCES \`devices\` (\`id\`) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE `refresh_tokens`');
    await db.query('DROP TABLE `devices`');
    await db.query('DROP TABLE `users`');
  }
}
