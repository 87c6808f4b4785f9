import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { connectSocket, fakeCiphertext, TestSocket } from './utils/sockets.js';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { testDialect } from './utils/test-db.js';
import { createUser } from './utils/users.js';

const MIB = 1_048_576;

describeE2E('message size against the database', () => {
  let sut: TestApp;
  let url: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ MESSAGE_MAX_CIPHERTEXT_BYTES: String(MIB), MESSAGE_MAX_DEVICES: '20' });
    await sut.app.listen(0, '127.0.0.1');
    url = await sut.app.getUrl();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await sut.close();
  });

  it('refuses, with MESSAGE_TOO_LARGE, a send whose statement can never fit max_allowed_packet', async () => {
    const [alice, bob] = [await createUser(sut, 'alice'), await createUser(sut, 'bob')];
    const a = await connectSocket(url, alice.session.accessToken);
    sockets.push(a);
    // 9 MiB of ciphertext: 18 MiB as mysql2 writes it (hex), over MariaDB's default 16 MiB packet.
    const answer = (await a.emitWithAck('message:send', {
      clientMessageId: randomUUID(),
      recipientUserId: bob.id,
      envelopes: Array.from({ length: 9 }, () => ({
        deviceId: randomUUID(),
        registrationId: 1,
        type: 3,
        ciphertext: fakeCiphertext(MIB),
      })),
    })) as { ok: boolean; error?: { code: string; details?: { maxTotalBytes?: number } } };
    if (testDialect() === 'mariadb') {
      const [row] = (await sut.app.get(DataSource).query('SELECT @@max_allowed_packet AS bytes')) as {
        bytes: number;
      }[];
      expect(Number(row!.bytes)).toBeLessThan(18 * MIB);
      expect(answer.error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', details: { maxTotalBytes: expect.any(Number) } });
    } else {
      // SQLite binds the bytes as they are: only the pair check refuses this one.
      expect(answer.error?.code).toBe('NOT_PAIRED');
    }
  }, 60_000);
});
