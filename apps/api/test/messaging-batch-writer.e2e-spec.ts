import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { MysqlBatchWriter } from '../src/messaging/mysql-batch-writer.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { testDialect } from './utils/test-db.js';

// The one-round-trip batch transactions of the MySQL write path, against MariaDB itself.
(testDialect() === 'mariadb' ? describeE2E : describe.skip)('MySQL batch writer', () => {
  let sut: TestApp;
  let writer: MysqlBatchWriter;

  beforeAll(async () => {
    sut = await createTestApp();
    const { database } = sut.config;
    if (database.type !== 'mysql') throw new Error('needs MySQL');
    writer = new MysqlBatchWriter(database.url, 1); // one connection: a leaked transaction would show
  });
  afterAll(async () => {
    await writer.close();
    await sut.close();
  });

  const insert = (id: string, clientMessageId: string) => ({
    sql: 'INSERT INTO `messages` (`id`, `sender_user_id`, `sender_device_id`, `client_message_id`, `recipient_user_id`, `kind`, `created_at`) VALUES (?, ?, ?, ?, ?, ?, ?)',
    params: [id, randomUUID(), 'device-a', clientMessageId, randomUUID(), 'message', Date.now()],
  });

  it('answers each statement, in order, from one transaction', async () => {
    const [first, select] = (await writer.transaction([
      insert(randomUUID(), 'c-1'),
      { sql: 'SELECT COUNT(*) AS n FROM `messages` WHERE `client_message_id` = ?', params: ['c-1'] },
    ])) as [{ affectedRows: number }, { n: number }[]];
    expect(first.affectedRows).toBe(1);
    expect(Number(select[0]!.n)).toBe(1);
  });

  it('rolls the whole batch back on a failed statement and keeps the connection usable', async () => {
    const kept = randomUUID();
    const error = await writer
      .transaction([insert(kept, 'c-2'), insert(randomUUID(), 'c-2')]) // same device + client id: unique index
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError & { driverError: { errno: number } }).driverError.errno).toBe(1062);
    // Nothing of the values (ids, client message ids, ciphertexts) survives in the error.
    const everything = JSON.stringify({
      ...(error as object),
      message: (error as Error).message,
      stack: (error as Error).stack,
    });
    expect(everything).not.toContain('c-2');
    expect(everything).not.toContain(kept);
    expect(everything).not.toContain('device-a');
    const [rows] = (await writer.transaction([
      { sql: 'SELECT `id` FROM `messages` WHERE `id` = ?', params: [kept] },
    ])) as [unknown[]];
    // With one connection, a transaction left open would still show its own insert here.
    expect(rows).toEqual([]);
  });
});
