/**
 * Browser end-to-end test of the foundation: the real api process (SQLite) serving the built web
 * app, driven in Debian's Chromium by two users in separate browser contexts.
 *
 * Runs against the built app: `npm test` builds first; alone, run `npm run build` before, or set
 * PAIRCHAT_E2E_BUILD=1 to have this file build libs, web and api. It skips (loudly) only when
 * apps/api/dist/main.js does not exist. Screenshots: apps/web/e2e/screenshots/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { ensureBuilt, startSqliteApi, WEB_INDEX, type SqliteApi } from './support/api-process.js';
import {
  expectText,
  openPerson,
  pairList,
  PASSWORD,
  registerAndSignIn,
  SCREENSHOTS,
  shot as shotPage,
  type Person,
} from './support/people.js';

const apiBuilt = ensureBuilt('web e2e');

(apiBuilt ? describe : describe.skip)('web foundation in Chromium', () => {
  let api: SqliteApi;
  let browser: Browser;
  let alice: Person;
  let bob: Person;

  const shot = (person: Person, name: string) => shotPage(person.page, name);

  beforeAll(async () => {
    if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run \`npm run build\` first`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    api = await startSqliteApi();
    browser = await launchChromium();
    const suffix = randomBytes(3).toString('hex');
    alice = await openPerson(browser, api.baseUrl, `alice_${suffix}`, { width: 1200, height: 800 });
    bob = await openPerson(browser, api.baseUrl, `bob.${suffix}`, { width: 360, height: 740 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.dispose();
  }, 30_000);

  it('serves the app with the SPA fallback and sends signed-out visitors to login', async () => {
    await alice.page.goto('/devices');
    await alice.page.waitForURL(/\/login\?redirect=(%2F|\/)devices$/);
    await alice.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(alice, '01-login');
  }, 30_000);

  it('registers and signs in two people', async () => {
    await registerAndSignIn(alice, 'Alice laptop');
    await registerAndSignIn(bob, 'Bob phone');
    await expectText(pairList(alice).or(alice.page.locator('.empty')), 'No pairs yet.');
    await shot(bob, '02-bob-pairs-empty-360px');
  }, 60_000);

  it('rejects an unknown handle with a friendly message', async () => {
    await alice.page.getByLabel('Ask someone to pair').fill(`nobody_${bob.handle.slice(4)}`);
    await alice.page.getByRole('button', { name: 'Send request' }).click();
    await expectText(alice.page.getByRole('alert'), 'Nobody has that handle.');
  }, 30_000);

  it('lets alice ask bob and bob accept; both see each other', async () => {
    await alice.page.getByLabel('Ask someone to pair').fill(bob.handle);
    await alice.page.getByRole('button', { name: 'Send request' }).click();
    await expectText(alice.page.getByRole('status'), `Request sent to @${bob.handle}.`);
    await expectText(alice.page.getByRole('list', { name: 'Your requests' }), `@${bob.handle}`);
    await shot(alice, '03-alice-request-sent');

    await bob.page.getByRole('button', { name: 'Refresh' }).click();
    const accept = bob.page.getByRole('button', { name: `Accept @${alice.handle}` });
    await accept.waitFor();
    await shot(bob, '04-bob-incoming-360px');
    await accept.click();
    await expectText(pairList(bob), `@${alice.handle}`);
    await expect(bob.page.getByRole('heading', { name: /Requests to you/ }).count()).resolves.toBe(0);

    await alice.page.reload();
    await expectText(pairList(alice), `@${bob.handle}`);
    await expect(alice.page.getByRole('list', { name: 'Your requests' }).count()).resolves.toBe(0);
    await shot(alice, '05-alice-paired');
  }, 60_000);

  it('lets bob rename his device, and the name survives a reload', async () => {
    const { page } = bob;
    await page.getByRole('button', { name: `Account menu for @${bob.handle}` }).click();
    await page.getByRole('link', { name: 'Devices' }).filter({ visible: true }).last().click();
    await page.waitForURL(/\/devices$/);
    await page.getByRole('button', { name: 'Rename Bob phone' }).click();
    await page.getByLabel('Device name').fill('Bob pocket phone');
    await page.getByRole('button', { name: 'Save' }).click();
    await expectText(page.getByRole('status'), 'Device renamed to “Bob pocket phone”.');

    await page.reload();
    await expectText(page.getByRole('list', { name: 'Your devices' }), 'Bob pocket phone');
    await expectText(page.getByRole('list', { name: 'Your devices' }), 'This device');
    await shot(bob, '06-bob-devices-360px');
  }, 60_000);

  it('lets alice block bob after confirming, while bob sees no change', async () => {
    const { page } = alice;
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByText(`Block @${bob.handle}? They will not be told.`).waitFor();
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await expectText(page.getByRole('status'), `@${bob.handle} is blocked.`);
    await page.reload();
    await expectText(pairList(alice), 'Blocked');
    await shot(alice, '07-alice-blocked-bob');

    await bob.page.goto('/pairs');
    await expectText(pairList(bob), `@${alice.handle}`);
    await expect(pairList(bob).getByText('Blocked').count()).resolves.toBe(0);
    await expect(bob.page.getByRole('alert').filter({ hasText: /\S/ }).count()).resolves.toBe(0);
    await shot(bob, '08-bob-unchanged-360px');
  }, 60_000);

  it('logs out through the account menu, and signing in again reuses the device', async () => {
    const { page } = alice;
    await page.getByRole('button', { name: `Account menu for @${alice.handle}` }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto('/devices');
    await page.waitForURL(/\/login\?redirect=(%2F|\/)devices$/);

    await page.getByLabel('Handle').fill(alice.handle);
    await page.getByText('This browser is already one of your devices').waitFor();
    await expect(page.getByLabel('Name this device').count()).resolves.toBe(0);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/devices$/);
    const devices = page.getByRole('list', { name: 'Your devices' });
    await expectText(devices, 'Alice laptop');
    await expect(devices.getByRole('listitem').count()).resolves.toBe(1);
  }, 30_000);

  it('signs bob out when he removes this device, and the next sign-in registers a new one', async () => {
    const { page } = bob;
    await page.goto('/devices');
    await page.getByRole('button', { name: 'Remove and sign out' }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.waitForURL(/\/login$/);

    await page.getByLabel('Handle').fill(bob.handle);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Name this device').fill('Bob new phone');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/pairs$/);
    await page.goto('/devices');
    const devices = page.getByRole('list', { name: 'Your devices' });
    await expectText(devices, 'Bob new phone');
    await expect(devices.getByRole('listitem').count()).resolves.toBe(1);
  }, 30_000);

  it('reported no page errors or CSP violations', () => {
    expect([...alice.problems, ...bob.problems]).toEqual([]);
  });
});
