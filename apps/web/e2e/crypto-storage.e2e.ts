/**
 * The browser half of the crypto foundation in Debian's Chromium: the encrypted IndexedDB stores on
 * real IndexedDB and WebCrypto, a full first key generation in the Web Worker (timed, with the
 * page's responsiveness measured), a session between two worker-backed devices, and the first-login
 * key upload against the real api process.
 *
 * The page (`crypto-storage/`) is built here with the web app's Vite config and served by the
 * built api through WEB_DIST_DIR, so it runs same-origin under the api's CSP, as the app does.
 * Skips (loudly) only when apps/api/dist/main.js does not exist (`npm run build` first).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from './chromium.js';
import { API_MAIN, startApiProcess, type ApiProcess } from '../../api/test/utils/api-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE_ROOT = fileURLToPath(new URL('./crypto-storage/', import.meta.url));
/** Issue 3's target: 100 one-time EC + 100 one-time Kyber + signed + last-resort in under 2 s. */
const KEYGEN_BUDGET_MS = 2_000;
const PASSWORD = 'correct horse battery staple';

const apiBuilt = existsSync(API_MAIN);
if (!apiBuilt)
  console.warn(`!!! SKIPPING crypto storage e2e: ${API_MAIN} is missing. Run \`npm run build\` first. !!!`);

function buildPage(outDir: string): void {
  const result = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      PAGE_ROOT,
      '--config',
      join(ROOT, 'apps/web/vite.config.ts'),
      '--outDir',
      outDir,
      '--emptyOutDir',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`vite build of the test page failed:\n${(result.stdout + result.stderr).slice(-4000)}`);
}

async function post<T>(baseUrl: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

interface Session {
  accessToken: string;
  user: { id: string };
  device: { id: string };
}

async function signIn(baseUrl: string, handle: string, deviceName: string): Promise<Session> {
  return post<Session>(baseUrl, '/auth/login', { handle, password: PASSWORD, deviceName });
}

(apiBuilt ? describe : describe.skip)('crypto storage and key generation in Chromium', () => {
  let api: ApiProcess;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pairchat-crypto-e2e-'));
    const webDir = join(dataDir, 'web');
    buildPage(webDir);
    api = await startApiProcess({
      SQLITE_PATH: join(dataDir, 'pairchat.sqlite'),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      WEB_DIST_DIR: webDir,
      DATABASE_URL: '',
      REDIS_URL: '',
    });
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: api.url });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto('/');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every record encrypted under a non-extractable key, refuses swapped records, and wipes everything', async () => {
    const results = await page.evaluate(() => (window as any).cryptoE2E.storeChecks());
    expect(results).toEqual({
      identityRoundTrip: true,
      sessionRoundTrip: true,
      tofuFirst: true,
      changedRefused: true,
      receiveRecordsNothing: true,
      changedRefusedOnSend: true,
      changeRecorded: true,
      replayRefused: true,
      wrappingKey: { type: 'CryptoKey', extractable: false, algorithm: { name: 'AES-GCM', length: 256 } },
      exportRefused: true,
      plaintextHits: 0,
      swappedRefused: true,
      untouchedReadable: true,
      leftAfterWipe: 0,
    });
    expect(problems).toEqual([]);
  });

  it(`generates a device's keys in the worker in under ${KEYGEN_BUDGET_MS} ms without freezing the page`, async () => {
    const result = await page.evaluate(() => (window as any).cryptoE2E.generateKeys());
    console.log(
      `Chromium key generation (100 EC + 100 Kyber one-time, signed, last-resort, in the worker, stored encrypted): ` +
        `${Math.round(result.ms)} ms; longest main-thread gap ${Math.round(result.maxGapMs)} ms`,
    );
    expect(result).toMatchObject({
      progressEvents: 202,
      total: 202,
      preKeys: 100,
      kyberPreKeys: 100,
      stored: { preKey: 100, kyberPreKey: 101, signedPreKey: 1 },
      plaintextHits: 0,
    });
    expect(result.ms).toBeLessThan(KEYGEN_BUDGET_MS);
    // The page kept running its 10 ms timer while the worker worked.
    expect(result.maxGapMs).toBeLessThan(250);
    expect(problems).toEqual([]);
  });

  it('runs a PQXDH session between two worker-backed devices that agree on the safety number', async () => {
    const result = await page.evaluate(() => (window as any).cryptoE2E.sessionAndSafety());
    expect(result).toMatchObject({
      received: 'hello in Chromium',
      reply: 'hello back',
      sameSafetyNumber: true,
      scanMatches: true,
    });
    expect(result.safetyNumber).toMatch(/^\d{60}$/);
    expect(problems).toEqual([]);
  });

  it('uploads the first keys with PUT /keys on first login, and a second browser of the account meets the identity conflict', async () => {
    const handle = `crypto_${randomBytes(3).toString('hex')}`;
    await post(api.url, '/auth/register', { handle, password: PASSWORD });
    const first = await signIn(api.url, handle, 'Chromium one');
    const result = await page.evaluate(
      ([token, userId, deviceId]) => (window as any).cryptoE2E.deviceKeysAgainstApi(token, userId, deviceId),
      [first.accessToken, first.user.id, first.device.id],
    );
    expect(result.first).toMatchObject({ phase: 'ready' });
    expect(result.first.protocolDeviceId).toBe(result.counts.protocolDeviceId);
    expect(result.counts).toMatchObject({ ecPreKeys: 100, kyberPreKeys: 100, replenish: false, rotationDue: false });
    expect(result.second).toEqual(result.first);
    expect(result.status.protocolDeviceId).toBe(result.counts.protocolDeviceId);
    expect(result.generatingEvents).toBe(202);
    expect(result.uploads).toBe(1);

    const second = await signIn(api.url, handle, 'Chromium two');
    const otherBrowser = await browser.newContext({ baseURL: api.url });
    const otherPage = await otherBrowser.newPage();
    await otherPage.goto('/');
    await otherPage.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    const conflict = await otherPage.evaluate(
      ([token, userId, deviceId]) => (window as any).cryptoE2E.conflictAgainstApi(token, userId, deviceId),
      [second.accessToken, second.user.id, second.device.id],
    );
    expect(conflict).toEqual({ phase: 'identity-conflict' });
    await otherBrowser.close();
    expect(problems).toEqual([]);
  });

  it('the built app creates and uploads the device keys at first sign-in, keeping them in IndexedDB', async () => {
    const appDist = join(ROOT, 'apps/web/dist');
    if (!existsSync(join(appDist, 'index.html'))) throw new Error(`${appDist} is missing: run \`npm run build\` first`);
    const appApi = await startApiProcess({
      SQLITE_PATH: join(dataDir, 'app.sqlite'),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      WEB_DIST_DIR: appDist,
      DATABASE_URL: '',
      REDIS_URL: '',
    });
    const appContext = await browser.newContext({ baseURL: appApi.url });
    try {
      const handle = `app_${randomBytes(3).toString('hex')}`;
      await post(appApi.url, '/auth/register', { handle, password: PASSWORD });
      const appPage = await appContext.newPage();
      const appProblems: string[] = [];
      appPage.on('pageerror', (error) => appProblems.push(error.message));
      await appPage.goto('/login');
      await appPage.getByLabel('Handle').fill(handle);
      await appPage.getByLabel('Password').fill(PASSWORD);
      await appPage.getByRole('button', { name: 'Sign in' }).click();
      await appPage.waitForURL(/\/pairs$/);

      // Another session of the same account lists the browser's device; its registration id
      // arrives with the first PUT /keys.
      const observer = await signIn(appApi.url, handle, 'observer');
      const browserDevice = async () => {
        const response = await fetch(`${appApi.url}/devices`, {
          headers: { Authorization: `Bearer ${observer.accessToken}`, Accept: 'application/json' },
        });
        const devices = (await response.json()) as { id: string; registrationId: number | null; current: boolean }[];
        return devices.find((device) => !device.current);
      };
      const deadline = Date.now() + 20_000;
      while (!(await browserDevice())?.registrationId && Date.now() < deadline) await appPage.waitForTimeout(100);
      const device = (await browserDevice())!;
      expect(device.registrationId).toBeGreaterThan(0);
      const databases = await appPage.evaluate(async () => (await indexedDB.databases()).map((db) => db.name));
      expect(databases).toContain(`pairchat-device-${device.id}`);
      expect(appProblems).toEqual([]);
    } finally {
      await appContext.close();
      await appApi.stop();
    }
  });

  it('ships no libsignal-client or native engine code in the browser bundles (test page and app)', () => {
    for (const assets of [join(dataDir, 'web', 'assets'), join(ROOT, 'apps/web/dist/assets')]) {
      const code = readdirSync(assets)
        .filter((file) => file.endsWith('.js'))
        .map((file) => readFileSync(join(assets, file), 'utf8'))
        .join('\n');
      expect(code).toContain('ProtocolError');
      expect(code).not.toMatch(/libsignal-client|libsignal_client|signal_node|node-gyp-build/);
    }
  });
});
