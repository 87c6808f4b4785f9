/**
 * Browser end-to-end test of the foundation: the real api process (SQLite) serving the built web
 * app, driven in Debian's Chromium by two users in separate browser contexts.
 *
 * Runs against the built app: `npm test` builds first; alone, run `npm run build` before, or set
 * PAIRCHAT_E2E_BUILD=1 to have this file build libs, web and api. It skips (loudly) only when
 * apps/api/dist/main.js does not exist. Screenshots: apps/web/e2e/screenshots/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const API_MAIN = join(ROOT, 'apps/api/dist/main.js');
const WEB_INDEX = join(ROOT, 'apps/web/dist/index.html');
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const PASSWORD = 'correct horse battery staple';
const STEP_TIMEOUT = 15_000;

function build(): void {
  if (process.env.PAIRCHAT_E2E_BUILD !== '1') return;
  for (const script of [
    ['run', 'build:libs'],
    ['run', 'build', '-w', '@pairchat/web'],
    ['run', 'build', '-w', '@pairchat/api'],
  ]) {
    const result = spawnSync('npm', script, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    if (result.status !== 0) {
      throw new Error(`npm ${script.join(' ')} failed:\n${(result.stdout + result.stderr).slice(-4000)}`);
    }
  }
}

build();
const apiBuilt = existsSync(API_MAIN);
if (!apiBuilt) {
  console.warn(`!!! SKIPPING web e2e: ${API_MAIN} is missing. Run \`npm run build\` first. !!!`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHealth(baseUrl: string, api: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (api.exitCode !== null) throw new Error(`api exited with ${api.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${baseUrl}/health`, { headers: { Accept: 'application/json' } });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`api did not become healthy:\n${output()}`);
}

/** One person at one browser: a context, a page, and the errors the page reported. */
interface Person {
  handle: string;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

(apiBuilt ? describe : describe.skip)('web foundation in Chromium', () => {
  let api: ChildProcess;
  let apiOutput = '';
  let dataDir: string;
  let baseUrl: string;
  let browser: Browser;
  let alice: Person;
  let bob: Person;

  const shot = (person: Person, name: string) =>
    person.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  async function open(handle: string, viewport: { width: number; height: number }): Promise<Person> {
    const context = await browser.newContext({ baseURL: baseUrl, viewport });
    context.setDefaultTimeout(STEP_TIMEOUT);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
        problems.push(`csp: ${message.text()}`);
      }
    });
    return { handle, context, page, problems };
  }

  async function registerAndSignIn(person: Person, deviceName: string): Promise<void> {
    const { page } = person;
    await page.goto('/register');
    await page.getByLabel('Handle').fill(person.handle);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL(/\/login\?/);
    await expectText(page.getByRole('status'), 'Account created. Sign in to continue.');
    expect(await page.getByLabel('Handle').inputValue()).toBe(person.handle);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Name this device').fill(deviceName);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(/\/pairs$/);
    await page.getByRole('heading', { name: 'Pairs', level: 1 }).waitFor();
  }

  async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
    await locator.filter({ hasText: text }).first().waitFor();
  }

  const pairList = (person: Person) => person.page.getByRole('list', { name: 'Your pairs' });

  beforeAll(async () => {
    if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run \`npm run build\` first`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'pairchat-web-e2e-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    api = spawn(process.execPath, [API_MAIN], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        SQLITE_PATH: join(dataDir, 'pairchat.sqlite'),
        LOG_LEVEL: 'warn',
        JWT_SECRET: randomBytes(32).toString('base64url'),
        DATABASE_URL: '',
        REDIS_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      apiOutput = (apiOutput + chunk.toString()).slice(-8000);
    };
    api.stdout?.on('data', collect);
    api.stderr?.on('data', collect);
    await waitForHealth(baseUrl, api, () => apiOutput);

    browser = await launchChromium();
    const suffix = randomBytes(3).toString('hex');
    alice = await open(`alice_${suffix}`, { width: 1200, height: 800 });
    bob = await open(`bob.${suffix}`, { width: 360, height: 740 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (api && api.exitCode !== null) console.error(`api exited early (${api.exitCode}):\n${apiOutput}`);
    if (api && api.exitCode === null) {
      const exited = new Promise((resolve) => api.once('exit', resolve));
      api.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (api.exitCode === null) api.kill('SIGKILL');
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
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
