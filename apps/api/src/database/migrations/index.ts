import type { MigrationInterface } from 'typeorm';
import { Accounts1764090000000 as MysqlAccounts } from './mysql/1764090000000-accounts.js';
import { Pairing1764090100000 as MysqlPairing } from './mysql/1764090100000-pairing.js';
import { Messaging1764091000000 as MysqlMessaging } from './mysql/1764091000000-messaging.js';
import { Keys1764092000000 as MysqlKeys } from './mysql/1764092000000-keys.js';
import { DeviceLinks1764093000000 as MysqlDeviceLinks } from './mysql/1764093000000-device-links.js';
import { Retention1764094000000 as MysqlRetention } from './mysql/1764094000000-retention.js';
import { DeviceLinksNoNewDeviceKey1764095000000 as MysqlDeviceLinksNoNewDeviceKey } from './mysql/1764095000000-device-links-no-new-device-key.js';
import { DeviceSessionGeneration1764096000000 as MysqlDeviceSessionGeneration } from './mysql/1764096000000-device-session-generation.js';
import { Accounts1764090000000 as SqliteAccounts } from './sqlite/1764090000000-accounts.js';
import { Pairing1764090100000 as SqlitePairing } from './sqlite/1764090100000-pairing.js';
import { Messaging1764091000000 as SqliteMessaging } from './sqlite/1764091000000-messaging.js';
import { Keys1764092000000 as SqliteKeys } from './sqlite/1764092000000-keys.js';
import { DeviceLinks1764093000000 as SqliteDeviceLinks } from './sqlite/1764093000000-device-links.js';
import { Retention1764094000000 as SqliteRetention } from './sqlite/1764094000000-retention.js';
import { DeviceLinksNoNewDeviceKey1764095000000 as SqliteDeviceLinksNoNewDeviceKey } from './sqlite/1764095000000-device-links-no-new-device-key.js';
import { DeviceSessionGeneration1764096000000 as SqliteDeviceSessionGeneration } from './sqlite/1764096000000-device-session-generation.js';

type MigrationClass = new () => MigrationInterface;

// One list per dialect, in order. Add each new migration to both lists (a test checks they match).
export const sqliteMigrations: MigrationClass[] = [
  SqliteAccounts,
  SqlitePairing,
  SqliteMessaging,
  SqliteKeys,
  SqliteDeviceLinks,
  SqliteRetention,
  SqliteDeviceLinksNoNewDeviceKey,
  SqliteDeviceSessionGeneration,
];
export const mysqlMigrations: MigrationClass[] = [
  MysqlAccounts,
  MysqlPairing,
  MysqlMessaging,
  MysqlKeys,
  MysqlDeviceLinks,
  MysqlRetention,
  MysqlDeviceLinksNoNewDeviceKey,
  MysqlDeviceSessionGeneration,
];
