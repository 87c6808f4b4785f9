import type { MigrationInterface } from 'typeorm';

type MigrationClass = new () => MigrationInterface;

// One list per dialect, in order. Add each new migration to both lists (a test checks they match).
export const sqliteMigrations: MigrationClass[] = [];
export const mysqlMigrations: MigrationClass[] = [];
