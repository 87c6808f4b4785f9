import type { MigrationInterface, QueryRunner } from 'typeorm';

/** devices.session_generation: ending a device's sessions invalidates its access tokens at once (MySQL/MariaDB). */
export class DeviceSessionGeneration1764096000000 implements MigrationInterface {
  name = 'DeviceSessionGeneration1764096000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE \`devices\` ADD COLUMN \`session_generation\` int NOT NULL DEFAULT 0`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE \`devices\` DROP COLUMN \`session_generation\``);
  }
}
