import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Key directory: account identity keys, per-device protocol ids, signed and one-time prekeys (MySQL/MariaDB). */
export class Keys1764092000000 implements MigrationInterface {
  name = 'Keys1764092000000';

  async up(db: QueryRunner): Promise<void> {
    const table = (sql: string) => db.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await table(`CREATE TABLE \`identity_keys\` (
      \`user_id\` varchar(36) NOT NULL,
      \`public_key\` varbinary(33) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`updated_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`user_id\`),
      CONSTRAINT \`fk_identity_keys_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE
    )`);
    await table(`CREATE TABLE \`device_keys\` (
      \`device_id\` varchar(36) NOT NULL,
      \`user_id\` varchar(36) NOT NULL,
      \`protocol_device_id\` smallint NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`device_id\`),
      UNIQUE KEY \`uq_device_keys_protocol_id\` (\`user_id\`, \`protocol_device_id\`),
      CONSTRAINT \`fk_device_keys_device\` FOREIGN KEY (\`device_id\`) REFERENCES \`devices\` (\`id\`) ON DELETE CASCADE
    )`);
    await table(`CREATE TABLE \`signed_prekeys\` (
      \`device_id\` varchar(36) NOT NULL,
      \`key_id\` int unsigned NOT NULL,
      \`public_key\` varbinary(33) NOT NULL,
      \`signature\` varbinary(64) NOT NULL,
      \`uploaded_at\` datetime(3) NOT NULL,
      \`replaced_at\` datetime(3) NULL,
      PRIMARY KEY (\`device_id\`, \`key_id\`),
      KEY \`idx_signed_prekeys_replaced\` (\`replaced_at\`),
      CONSTRAINT \`fk_signed_prekeys_device\` FOREIGN KEY (\`device_id\`) REFERENCES \`devices\` (\`id\`) ON DELETE CASCADE
    )`);
    await table(`CREATE TABLE \`kyber_prekeys\` (
      \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
      \`device_id\` varchar(36) NOT NULL,
      \`key_id\` int unsigned NOT NULL,
      \`public_key\` varbinary(1569) NOT NULL,
      \`signature\` varbinary(64) NOT NULL,
      \`last_resort\` tinyint(1) NOT NULL,
      \`uploaded_at\` datetime(3) NOT NULL,
      \`replaced_at\` datetime(3) NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_kyber_prekeys_device_key\` (\`device_id\`, \`key_id\`),
      KEY \`idx_kyber_prekeys_claim\` (\`device_id\`, \`last_resort\`, \`id\`),
      KEY \`idx_kyber_prekeys_replaced\` (\`replaced_at\`),
      CONSTRAINT \`fk_kyber_prekeys_device\` FOREIGN KEY (\`device_id\`) REFERENCES \`devices\` (\`id\`) ON DELETE CASCADE
    )`);
    await table(`CREATE TABLE \`ec_prekeys\` (
      \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
      \`device_id\` varchar(36) NOT NULL,
      \`key_id\` int unsigned NOT NULL,
      \`public_key\` varbinary(33) NOT NULL,
      \`uploaded_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_ec_prekeys_device_key\` (\`device_id\`, \`key_id\`),
      KEY \`idx_ec_prekeys_claim\` (\`device_id\`, \`id\`),
      CONSTRAINT \`fk_ec_prekeys_device\` FOREIGN KEY (\`device_id\`) REFERENCES \`devices\` (\`id\`) ON DELETE CASCADE
    )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['ec_prekeys', 'kyber_prekeys', 'signed_prekeys', 'device_keys', 'identity_keys']) {
      await db.query(`DROP TABLE \`${table}\``);
    }
  }
}
