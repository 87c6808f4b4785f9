import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Pair requests, pairs and blocks (MySQL/MariaDB). */
export class Pairing1764090100000 implements MigrationInterface {
  name = 'Pairing1764090100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE \`pair_requests\` (
      \`id\` varchar(36) NOT NULL,
      \`from_user_id\` varchar(36) NOT NULL,
      \`to_user_id\` varchar(36) NOT NULL,
      \`user_low\` varchar(36) NOT NULL,
      \`user_high\` varchar(36) NOT NULL,
      \`silenced\` tinyint(1) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_pair_requests_users\` (\`user_low\`, \`user_high\`),
      KEY \`idx_pair_requests_from\` (\`from_user_id\`),
      KEY \`idx_pair_requests_to\` (\`to_user_id\`),
      CONSTRAINT \`fk_pair_requests_from\` FOREIGN KEY (\`from_user_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE,
      CONSTRAINT \`fk_pair_requests_to\` FOREIGN KEY (\`to_user_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await db.query(`CREATE TABLE \`pairs\` (
      \`id\` varchar(36) NOT NULL,
      \`user_low\` varchar(36) NOT NULL,
      \`user_high\` varchar(36) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_pairs_users\` (\`user_low\`, \`user_high\`),
      KEY \`idx_pairs_user_high\` (\`user_high\`),
      CONSTRAINT \`fk_pairs_user_low\` FOREIGN KEY (\`user_low\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE,
      CONSTRAINT \`fk_pairs_user_high\` FOREIGN KEY (\`user_high\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await db.query(`CREATE TABLE \`blocks\` (
      \`id\` varchar(36) NOT NULL,
      \`blocker_id\` varchar(36) NOT NULL,
      \`blocked_id\` varchar(36) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_blocks_users\` (\`blocker_id\`, \`blocked_id\`),
      KEY \`idx_blocks_blocked\` (\`blocked_id\`),
      CONSTRAINT \`fk_blocks_blocker\` FOREIGN KEY (\`blocker_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE,
      CONSTRAINT \`fk_blocks_blocked\` FOREIGN KEY (\`blocked_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE `blocks`');
    await db.query('DROP TABLE `pairs`');
    await db.query('DROP TABLE `pair_requests`');
  }
}
