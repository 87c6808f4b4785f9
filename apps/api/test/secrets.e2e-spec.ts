import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { pino } from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory.js';
import { AppConfig } from '../src/config/app-config.js';
import { describeE2E } from './utils/test-app.js';
import { createTestDatabase, TestDatabase } from './utils/test-db.js';

describeE2E('secrets at rest and in logs', () => {
  const password = `Pw-${randomBytes(12).toString('hex')}`;
  const handle = `secret_${randomBytes(4).toString('hex')}`;
  const logLines: string[] = [];
  const issued: string[] = [];
  let app: NestExpressApplication;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(32).toString('hex'),
      WEB_DIST_DIR: '/nonexistent',
      ...db.env,
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    ({ app } = await createApp(config, pino({ level: 'trace' }, sink)));
    const http = app.getHttpServer();

    await request(http).post('/auth/register').send({ handle, password }).expect(201);
    await request(http).post('/auth/register').send({ handle, password }).expect(409);
    await request(http)
      .post('/auth/login')
      .send({ handle, password: `${password}x` })
      .expect(401);
    const login = await request(http).post('/auth/login').send({ handle, password }).expect(200);
    const refreshed = await request(http)
      .post('/auth/refresh')
      .send({ refreshToken: login.body.refreshToken })
      .expect(200);
    await request(http)
      .get('/me?token=' + refreshed.body.refreshToken)
      .set('Authorization', `Bearer ${refreshed.body.accessToken}`)
      .expect(200);
    // A reused refresh token ends the device's session: the newest access token stops working too.
    await request(http).post('/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(401);
    await request(http)
      .post('/auth/login')
      .set('content-type', 'application/json')
      .send(`{"handle":"${handle}","password":"${password}"`)
      .expect(400);
    await request(http).post('/auth/register').send({ handle: 'x', password, extra: password }).expect(400);
    issued.push(
      login.body.refreshToken,
      refreshed.body.refreshToken,
      login.body.accessToken,
      refreshed.body.accessToken,
    );
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('stores an argon2id hash, never the password or a refresh token', async () => {
    const dataSource = app.get(DataSource);
    const tables: { name: string }[] =
      dataSource.options.type === 'mysql'
        ? await dataSource.query(
            'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
          )
        : await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`);
    let dump = '';
    for (const { name } of tables) dump += JSON.stringify(await dataSource.query(`SELECT * FROM ${name}`));
    expect(dump).toContain(handle);
    expect(dump).toMatch(/\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(dump).not.toContain(password);
    for (const token of issued) expect(dump).not.toContain(token);
  });

  it('logs requests without passwords, tokens or bodies', () => {
    const log = logLines.join('');
    expect(log.split('\n').filter((line) => line.includes('/auth/')).length).toBeGreaterThanOrEqual(7);
    expect(log).not.toContain(password);
    for (const token of issued) expect(log).not.toContain(token);
    expect(log.toLowerCase()).not.toContain('authorization');
  });
});
