import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import type { SessionDto } from '@pairchat/messaging';
import request from 'supertest';
import type { TestApp } from './test-app.js';

export const PASSWORD = 'correct horse battery staple';

/** A fresh valid handle with a readable stem. */
export function uniqueHandle(stem = 'user'): string {
  return `${stem}_${randomBytes(4).toString('hex')}`;
}

export interface TestUser {
  handle: string;
  session: SessionDto;
  id: string;
  deviceId: string;
  /** `Authorization` header value of the session's access token. */
  bearer: string;
}

/** Registers a user and logs them in on a new device. */
export async function createUser(app: TestApp, stem = 'user', login: Record<string, unknown> = {}): Promise<TestUser> {
  const handle = uniqueHandle(stem);
  await request(app.http).post('/auth/register').send({ handle, password: PASSWORD }).expect(201);
  return loginAs(app, handle, login);
}

export async function loginAs(app: TestApp, handle: string, extra: Record<string, unknown> = {}): Promise<TestUser> {
  const res = await request(app.http)
    .post('/auth/login')
    .send({ handle, password: PASSWORD, ...extra });
  expect(res.status).toBe(200);
  const session = res.body as SessionDto;
  return { handle, session, id: session.user.id, deviceId: session.device.id, bearer: `Bearer ${session.accessToken}` };
}
