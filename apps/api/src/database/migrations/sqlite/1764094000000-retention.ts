import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the retention sweeps and for expiry (SQLite): envelopes by message (is any copy of a
 * message still queued?), messages by age, refresh tokens by expiry.
 */
export class Retention1764094000000 implements MigrationInterface {
  name = 'Retention1764094000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX "idx_envelopes_message" ON "envelopes" ("message_id")`);
    await db.query(`CREATE INDEX "idx_messages_created" ON "messages" ("created_at")`);
    await db.query(`CREATE INDEX "idx_refresh_tokens_expires" ON "refresh_tokens" ("expires_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX "idx_refresh_tokens_expires"`);
    await db.query(`DROP INDEX "idx_messages_created"`);
    await db.query(`DROP INDEX "idx_envelopes_message"`);
  }
}
