import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, PASSWORD, TestUser } from './utils/users.js';

// Passport keeps one process-wide strategy registry; the api runs its own strategy instances instead,
// so two apps in one process (different secrets, different databases) never borrow each other's.
describeE2E('two api instances in one process', () => {
  let first: TestApp;
  let second: TestApp;
  let firstUser: TestUser;
  let secondUser: TestUser;
  beforeAll(async () => {
    first = await createTestApp();
    second = await createTestApp();
    firstUser = await createUser(first, 'first');
    secondUser = await createUser(second, 'second');
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('each authenticates its own tokens with its own secret and database', async () => {
    await request(first.http).get('/me').set('Authorization', firstUser.bearer).expect(200);
    await request(second.http).get('/me').set('Authorization', secondUser.bearer).expect(200);
    await request(second.http).get('/me').set('Authorization', firstUser.bearer).expect(401);
    await request(first.http).get('/me').set('Authorization', secondUser.bearer).expect(401);
  });

  it('each checks passwords against its own accounts', async () => {
    await request(first.http).post('/auth/login').send({ handle: firstUser.handle, password: PASSWORD }).expect(200);
    await request(second.http).post('/auth/login').send({ handle: firstUser.handle, password: PASSWORD }).expect(401);
  });
});
