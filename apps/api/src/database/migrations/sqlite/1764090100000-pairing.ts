import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Pair requests, pairs and blocks (SQLite). */
export class Pairing1764090100000 implements MigrationInterface {
  name = 'Pairing1764090100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE "pair_requests" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "from_user_id" varchar(36) NOT NULL,
      "to_user_id" varchar(36) NOT NULL,
      "user_low" varchar(36) NOT NULL,
      "user_high" varchar(36) NOT NULL,
      "silenced" boolean NOT NULL,
      "created_at" datetime NOT NULL,
      CONSTRAINT "fk_pair_requests_from" FOREIGN KEY ("from_user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
      CONSTRAINT "fk_pair_requests_to" FOREIGN KEY ("to_user_id") REFERENCES "users" ("id") ON DELETE CASCADE
    )`);
    await db.query(`CREATE UNIQUE INDEX "uq_pair_requests_users" ON "pair_requests" ("user_low", "user_high")`);
    await db.query(`CREATE INDEX "idx_pair_requests_from" ON "pair_requests" ("from_user_id")`);
    await db.query(`CREATE INDEX "idx_pair_requests_to" ON "pair_requests" ("to_user_id")`);

    await db.query(`CREATE TABLE "pairs" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "user_low" varchar(36) NOT NULL,
      "user_high" varchar(36) NOT NULL,
      "created_at" datetime NOT NULL,
      CONSTRAINT "fk_pairs_user_low" FOREIGN KEY ("user_low") REFERENCES "users" ("id") ON DELETE CASCADE,
      CONSTRAINT "fk_pairs_user_high" FOREIGN KEY ("user_high") REFERENCES "users" ("id") ON DELETE CASCADE
    )`);
    await db.query(`CREATE UNIQUE INDEX "uq_pairs_users" ON "pairs" ("user_low", "user_high")`);
    await db.query(`CREATE INDEX "idx_pairs_user_high" ON "pairs" ("user_high")`);

    await db.query(`CREATE TABLE "blocks" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "blocker_id" varchar(36) NOT NULL,
      "blocked_id" varchar(36) NOT NULL,
      "created_at" datetime NOT NULL,
      CONSTRAINT "fk_blocks_blocker" FOREIGN KEY ("blocker_id") REFERENCES "users" ("id") ON DELETE CASCADE,
      CONSTRAINT "fk_blocks_blocked" FOREIGN KEY ("blocked_id") REFERENCES "users" ("id") ON DELETE CASCADE
    )`);
    await db.query(`CREATE UNIQUE INDEX "uq_blocks_users" ON "blocks" ("blocker_id", "blocked_id")`);
    await db.query(`CREATE INDEX "idx_blocks_blocked" ON "blocks" ("blocked_id")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "blocks"`);
    await db.query(`DROP TABLE "pairs"`);
    await db.query(`DROP TABLE "pair_requests"`);
  }
}
