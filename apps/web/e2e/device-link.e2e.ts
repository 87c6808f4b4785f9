/**
 * Browser end-to-end test of linking a second device: the real api process (SQLite) serving the
 * built web app, in Debian's Chromium. Alice registers in one context (her laptop); a second
 * context signs in as Alice (a new browser without keys: identity conflict) and shows a link
 * code; the laptop enters it and confirms; the new browser imports the identity in its worker and
 * publishes its own prekeys. Then: the code cannot be used again, a code past its expiry is
 * refused, and with Bob paired, a message from Bob reaches both of Alice's devices and what the
 * laptop sends shows up on the linked device as a sync copy.
 *
 * Needs `npm run build` first (or PAIRCHAT_E2E_BUILD=1). Screenshots: e2e/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { PreKeyBundleResponse } from '@pairchat/keys';
import type { PairDto, SessionDto } from '@pairchat/messaging';
import { launchChromium } from './chromium.js';
import { ensureBuilt, startSqliteApi, WEB_INDEX, type SqliteApi } from './support/api-process.js';
import { openChat, sendMessage, waitForMessage } from './support/chat.js';
import {
  expectText,
  openPerson,
  pairPeople,
  PASSWORD,
  registerAndSignIn,
  SCREENSHOTS,
  shot,
  type Person,
} from './support/people.js';

const apiBuilt = ensureBuilt('device link e2e');
const CONFLICT = 'Your account already has encryption keys on another device.';

(apiBuilt ? describe : describe.skip)('device linking in Chromium', () => {
  let api: SqliteApi;
  let browser: Browser;
  let laptop: Person;
  let phone: Person;
  let bob: Person;
  let code = '';
  let confirmation = '';

  /** A REST session of Alice's from the test itself (one more device, without keys, revoked at the end). */
  let probe: SessionDto;
  const rest = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: {
        Accept: 'application/json',
        Authorization: `Bearer ${probe.accessToken}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };

  async function signInAgain(person: Person, deviceName: string): Promise<void> {
    const { page } = person;
    await page.goto('/login');
    await page.getByLabel('Handle').fill(person.handle);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Name this device').fill(deviceName);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/pairs$/);
  }

  /** On a browser in identity conflict: "Link this device", then the code it shows. */
  async function showCode(page: Page): Promise<string> {
    await expectText(page.getByRole('alert'), CONFLICT);
    await page.getByRole('button', { name: 'Link this device' }).click();
    const field = page.getByLabel('Link code');
    await field.waitFor();
    return field.inputValue();
  }

  /** On a ready device: Devices -> Link a new device -> paste the code -> Continue. */
  async function enterCode(page: Page, text: string): Promise<void> {
    await page.goto('/devices');
    await page.getByRole('link', { name: 'Link a new device' }).click();
    await page.waitForURL(/\/devices\/link$/);
    await page.getByLabel('Code from the new device').fill(text);
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  beforeAll(async () => {
    if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run \`npm run build\` first`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    api = await startSqliteApi();
    browser = await launchChromium();
    const suffix = randomBytes(3).toString('hex');
    laptop = await openPerson(browser, api.baseUrl, `alice_${suffix}`, { width: 1200, height: 800 });
    phone = await openPerson(browser, api.baseUrl, laptop.handle, { width: 390, height: 780 });
    bob = await openPerson(browser, api.baseUrl, `bob_${suffix}`, { width: 900, height: 800 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.dispose();
  }, 30_000);

  it('registers alice on her laptop and bob, who pair', async () => {
    const [a, b] = [await registerAndSignIn(laptop, 'Alice laptop'), await registerAndSignIn(bob, 'Bob desktop')];
    await Promise.all([a.keysPublished, b.keysPublished]);
    await pairPeople(laptop, bob);
  }, 150_000);

  /** Socket.IO frames the phone received, to see the `device:link-completed` push arrive. */
  const phoneFrames: string[] = [];

  /** Everything the phone sent over HTTP and its sockets: what the server could know of the code. */
  const phoneSent: string[] = [];

  it('a second browser signed in as alice shows a link code instead of making its own identity', async () => {
    phone.page.on('websocket', (socket) => {
      socket.on('framereceived', ({ payload }) => phoneFrames.push(String(payload)));
      socket.on('framesent', ({ payload }) => phoneSent.push(String(payload)));
    });
    phone.page.on('request', (req) => phoneSent.push(`${req.method()} ${req.url()} ${req.postData() ?? ''}`));
    await signInAgain(phone, 'Alice phone');
    code = await showCode(phone.page);
    expect(code).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    // The new device's key and code secret are only in the code: never sent to the server.
    const [, , key, secret] = code.split('.');
    const forms = [key, secret].flatMap((part) => [part, Buffer.from(part, 'base64url').toString('base64')]);
    expect(phoneSent.some((line) => line.includes('POST') && line.includes('/devices/links'))).toBe(true);
    for (const form of forms) expect(phoneSent.filter((line) => line.includes(form))).toEqual([]);
    await phone.page.getByRole('img', { name: 'QR code of the link code' }).waitFor();
    await shot(phone.page, 'device-link-01-new-device-code-390px');
  }, 120_000);

  it('the laptop confirms the new device, which becomes ready with the account identity', async () => {
    await enterCode(laptop.page, code);
    await expectText(laptop.page.locator('.device-link-confirm__ask'), 'Link Alice phone');
    await laptop.page.getByRole('button', { name: 'Link device' }).click();
    await expectText(laptop.page.getByRole('status'), 'Alice phone is linked.');
    confirmation = (await laptop.page.locator('.device-link-confirm__number').textContent()) ?? '';
    expect(confirmation).toMatch(/^\d{6}$/);
    await shot(laptop.page, 'device-link-02-existing-device-confirmed');

    await expectText(phone.page.getByRole('status'), 'This device is linked.');
    expect(await phone.page.locator('.keys-status__number').textContent()).toBe(confirmation);
    // The number is put to the user to compare, not claimed to match.
    await expectText(phone.page.getByRole('status'), 'check that it is');
    const linkId = code.split('.')[0];
    expect(phoneFrames.some((f) => f.includes('"device:link-completed"') && f.includes(linkId))).toBe(true);
    await shot(phone.page, 'device-link-03-new-device-linked-390px');

    const login = await fetch(`${api.baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ handle: laptop.handle, password: PASSWORD, deviceName: 'Test probe' }),
    });
    probe = (await login.json()) as SessionDto;
    const devices = await rest<{ id: string; name: string }[]>('GET', '/devices');
    const ids = Object.fromEntries(devices.body.map((d) => [d.name, d.id]));
    const keys = await rest<PreKeyBundleResponse>('GET', `/keys/${probe.user.id}`);
    expect(keys.status).toBe(200);
    // Two devices with keys (laptop and the linked phone), one identity: the server accepted the
    // phone's prekeys only because they are signed by the account identity key.
    expect(keys.body.devices.map((d) => d.deviceId).sort()).toEqual([ids['Alice laptop'], ids['Alice phone']].sort());
    expect(new Set(keys.body.devices.map((d) => d.protocolDeviceId)).size).toBe(2);
    expect(laptop.problems.concat(phone.problems)).toEqual([]);
  }, 150_000);

  it('refuses the same code a second time', async () => {
    await enterCode(laptop.page, code);
    await expectText(laptop.page.getByRole('alert'), 'This code was already used.');
    expect(await laptop.page.getByRole('button', { name: 'Link device' }).count()).toBe(0);
  }, 60_000);

  it('refuses a code past its expiry, on both devices', async () => {
    const tablet = await openPerson(browser, api.baseUrl, laptop.handle, { width: 800, height: 900 });
    try {
      await signInAgain(tablet, 'Alice tablet');
      const late = await showCode(tablet.page);
      const linkId = late.split('.')[0];
      // The clock of the link, moved past its 10 minutes (the same column the server checks).
      const db = new Database(api.sqlitePath);
      try {
        const changed = db
          .prepare(`UPDATE device_links SET expires_at = '2000-01-01 00:00:00.000' WHERE id = ?`)
          .run(linkId).changes;
        expect(changed).toBe(1);
      } finally {
        db.close();
      }
      await enterCode(laptop.page, late);
      await expectText(laptop.page.getByRole('alert'), 'This code has expired.');
      await expectText(tablet.page.getByRole('alert'), 'the code expired before another device used it');
      await tablet.page.getByRole('button', { name: 'Show a new code' }).waitFor();
      await shot(tablet.page, 'device-link-04-expired-code');
    } finally {
      await tablet.context.close();
    }
  }, 120_000);

  it('a message from bob reaches both of alice’s devices; the laptop’s reply reaches the phone as a sync copy', async () => {
    const pairs = await rest<PairDto[]>('GET', '/pairs');
    const bobId = pairs.body[0]!.user.id;
    const aliceId = probe.user.id;
    const run = randomBytes(4).toString('hex');
    const hello = `Hello alice on every device mk${run}a`;
    const reply = `Reply from the laptop mk${run}b`;

    await openChat(bob.page, aliceId, laptop.handle);
    await openChat(laptop.page, bobId, bob.handle);
    await openChat(phone.page, bobId, bob.handle);
    await sendMessage(bob.page, laptop.handle, hello);
    await waitForMessage(laptop.page, bob.handle, `mk${run}a`, 30_000);
    await waitForMessage(phone.page, bob.handle, `mk${run}a`, 30_000);

    await sendMessage(laptop.page, bob.handle, reply);
    await waitForMessage(bob.page, laptop.handle, `mk${run}b`, 30_000);
    await phone.page
      .locator('.message--out .message__text', { hasText: `mk${run}b` })
      .first()
      .waitFor({
        timeout: 30_000,
      });
    await shot(phone.page, 'device-link-05-linked-device-chat-390px');

    await rest('DELETE', `/devices/${probe.device.id}`);
    expect(laptop.problems.concat(phone.problems, bob.problems)).toEqual([]);
  }, 150_000);
});
