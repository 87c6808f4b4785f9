import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestApp, describeE2E, TestApp } from './utils/test-app.js';
import { createUser, loginAs } from './utils/users.js';

describeE2E('devices', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({ LOGIN_LIMIT_PER_IP: '1000' });
  });
  afterAll(() => sut.close());

  describe('GET /devices', () => {
    it("lists the caller's active devices, marking the current one", async () => {
      const laptop = await createUser(sut, 'dev', { deviceName: 'Laptop' });
      const phone = await loginAs(sut, laptop.handle, { deviceName: 'Phone' });
      const res = await request(sut.http).get('/devices').set('Authorization', phone.bearer).expect(200);
      expect(res.body).toEqual([
        expect.objectContaining({ id: laptop.deviceId, name: 'Laptop', current: false }),
        expect.objectContaining({ id: phone.deviceId, name: 'Phone', current: true }),
      ]);
    });

    it("never shows another user's devices", async () => {
      const a = await createUser(sut, 'deva');
      const b = await createUser(sut, 'devb');
      const res = await request(sut.http).get('/devices').set('Authorization', a.bearer).expect(200);
      expect(res.body.map((d: { id: string }) => d.id)).toEqual([a.deviceId]);
      expect(JSON.stringify(res.body)).not.toContain(b.deviceId);
    });

    it('requires an access token', async () => {
      const res = await request(sut.http).get('/devices').expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    });
  });

  describe('PATCH /devices/:id', () => {
    it('renames a device and sets the current device registration id', async () => {
      const user = await createUser(sut, 'ren');
      const res = await request(sut.http)
        .patch(`/devices/${user.deviceId}`)
        .set('Authorization', user.bearer)
        .send({ name: 'Work laptop', registrationId: 16380 })
        .expect(200);
      expect(res.body).toMatchObject({ id: user.deviceId, name: 'Work laptop', registrationId: 16380, current: true });
      const me = await request(sut.http).get('/me').set('Authorization', user.bearer).expect(200);
      expect(me.body.device).toMatchObject({ name: 'Work laptop', registrationId: 16380 });
    });

    it('renames another own device but refuses its registration id', async () => {
      const first = await createUser(sut, 'ren2');
      const second = await loginAs(sut, first.handle);
      const renamed = await request(sut.http)
        .patch(`/devices/${first.deviceId}`)
        .set('Authorization', second.bearer)
        .send({ name: 'Old' })
        .expect(200);
      expect(renamed.body).toMatchObject({ name: 'Old', current: false });
      const res = await request(sut.http)
        .patch(`/devices/${first.deviceId}`)
        .set('Authorization', second.bearer)
        .send({ registrationId: 7 })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'registrationId' }] } });
    });

    it("answers 404 for another user's device and leaves it unchanged", async () => {
      const owner = await createUser(sut, 'own', { deviceName: 'Mine' });
      const intruder = await createUser(sut, 'intr');
      const res = await request(sut.http)
        .patch(`/devices/${owner.deviceId}`)
        .set('Authorization', intruder.bearer)
        .send({ name: 'Pwned' })
        .expect(404);
      expect(res.body).toEqual(expect.objectContaining({ code: 'DEVICE_NOT_FOUND' }));
      expect(JSON.stringify(res.body)).not.toContain('Mine');
      const mine = await request(sut.http).get('/devices').set('Authorization', owner.bearer).expect(200);
      expect(mine.body[0].name).toBe('Mine');
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      const user = await createUser(sut, 'unk');
      await request(sut.http)
        .patch(`/devices/${randomUUID()}`)
        .set('Authorization', user.bearer)
        .send({ name: 'x' })
        .expect(404);
      for (const bad of ['nope', '1', `${randomUUID()}x`, "'%20OR%201=1"]) {
        const res = await request(sut.http)
          .patch(`/devices/${bad}`)
          .set('Authorization', user.bearer)
          .send({ name: 'x' })
          .expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it.each([
      ['an empty name', { name: '' }],
      ['a too long name', { name: 'x'.repeat(65) }],
      ['a number name', { name: 5 }],
      ['registrationId 0', { registrationId: 0 }],
      ['registrationId 16381', { registrationId: 16381 }],
      ['a string registrationId', { registrationId: '12' }],
      ['an unknown field', { name: 'ok', revoked: true }],
    ])('rejects %s with VALIDATION_FAILED', async (_why, body) => {
      const user = await createUser(sut, 'val');
      const res = await request(sut.http)
        .patch(`/devices/${user.deviceId}`)
        .set('Authorization', user.bearer)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('DELETE /devices/:id', () => {
    it("makes the device's access and refresh tokens fail at once", async () => {
      const first = await createUser(sut, 'rev');
      const second = await loginAs(sut, first.handle);
      await request(sut.http).get('/me').set('Authorization', first.bearer).expect(200);
      await request(sut.http).delete(`/devices/${first.deviceId}`).set('Authorization', second.bearer).expect(204);

      const me = await request(sut.http).get('/me').set('Authorization', first.bearer).expect(401);
      expect(me.body.code).toBe('UNAUTHORIZED');
      const refresh = await request(sut.http)
        .post('/auth/refresh')
        .send({ refreshToken: first.session.refreshToken })
        .expect(401);
      expect(refresh.body.code).toBe('REFRESH_TOKEN_INVALID');
      const relogin = await request(sut.http)
        .post('/auth/login')
        .send({ handle: first.handle, password: 'correct horse battery staple', deviceId: first.deviceId });
      expect(relogin.status).toBe(404);

      const list = await request(sut.http).get('/devices').set('Authorization', second.bearer).expect(200);
      expect(list.body.map((d: { id: string }) => d.id)).toEqual([second.deviceId]);
      await request(sut.http).get('/me').set('Authorization', second.bearer).expect(200);
    });

    it('revoking the current device ends its own session', async () => {
      const user = await createUser(sut, 'self');
      await request(sut.http).delete(`/devices/${user.deviceId}`).set('Authorization', user.bearer).expect(204);
      await request(sut.http).get('/devices').set('Authorization', user.bearer).expect(401);
    });

    it("answers 404 for another user's device and leaves it working", async () => {
      const owner = await createUser(sut, 'keep');
      const intruder = await createUser(sut, 'evil');
      const res = await request(sut.http)
        .delete(`/devices/${owner.deviceId}`)
        .set('Authorization', intruder.bearer)
        .expect(404);
      expect(res.body.code).toBe('DEVICE_NOT_FOUND');
      await request(sut.http).get('/me').set('Authorization', owner.bearer).expect(200);
    });

    it('answers 404 for an unknown or already revoked device and 400 for a malformed id', async () => {
      const first = await createUser(sut, 'twice');
      const second = await loginAs(sut, first.handle);
      await request(sut.http).delete(`/devices/${first.deviceId}`).set('Authorization', second.bearer).expect(204);
      await request(sut.http).delete(`/devices/${first.deviceId}`).set('Authorization', second.bearer).expect(404);
      await request(sut.http).delete(`/devices/${randomUUID()}`).set('Authorization', second.bearer).expect(404);
      await request(sut.http).delete('/devices/not-a-uuid').set('Authorization', second.bearer).expect(400);
    });

    it('deletes nothing but marks the device and its refresh tokens revoked', async () => {
      const user = await createUser(sut, 'audit');
      const other = await loginAs(sut, user.handle);
      await request(sut.http).delete(`/devices/${user.deviceId}`).set('Authorization', other.bearer).expect(204);
      const db = sut.app.get(DataSource);
      const [device] = await db.query(`SELECT revoked_at FROM devices WHERE id = '${user.deviceId}'`);
      expect(device.revoked_at).not.toBeNull();
      const tokens = await db.query(`SELECT revoked_at FROM refresh_tokens WHERE device_id = '${user.deviceId}'`);
      expect(tokens.length).toBeGreaterThan(0);
      expect(tokens.every((t: { revoked_at: unknown }) => t.revoked_at !== null)).toBe(true);
    });
  });

  describe('lastSeenAt', () => {
    it('is refreshed by authenticated requests at most once a minute', async () => {
      const user = await createUser(sut, 'seen');
      const db = sut.app.get(DataSource);
      const old = new Date(Date.now() - 5 * 60_000);
      await db.query(`UPDATE devices SET last_seen_at = ? WHERE id = ?`, [
        old.toISOString().replace('T', ' ').replace('Z', ''),
        user.deviceId,
      ]);
      const first = await request(sut.http).get('/me').set('Authorization', user.bearer).expect(200);
      expect(Date.now() - Date.parse(first.body.device.lastSeenAt)).toBeLessThan(60_000);
      const second = await request(sut.http).get('/me').set('Authorization', user.bearer).expect(200);
      expect(second.body.device.lastSeenAt).toBe(first.body.device.lastSeenAt);
    });
  });
});
