// Runs the browser cases of the crypto benchmark in Chromium: bundles bench/crypto.browser-entry.mjs
// (the TypeScript engine from libs/crypto/dist and its @noble/* dependencies) with rolldown, serves
// it on 127.0.0.1 (a secure context, so `crypto.subtle` is there) and drives Debian's Chromium with
// playwright-core. Nothing is downloaded: without rolldown or Chromium the run is skipped and says why.
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function bundle(entry) {
  const { rolldown } = await import('rolldown');
  const build = await rolldown({ input: entry, platform: 'browser', logLevel: 'silent' });
  try {
    const { output } = await build.generate({ format: 'esm', minify: false });
    return output[0].code;
  } finally {
    await build.close();
  }
}

function serve(js) {
  const html =
    '<!doctype html><meta charset="utf-8"><title>crypto bench</title><script type="module" src="/bench.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Measures the `browser: true` cases with the TypeScript engine in Chromium.
 * @param entry - the page's entry module (default bench/crypto.browser-entry.mjs; another build of
 *   the engine can be compared by pointing at an entry that imports it)
 * @returns `{ browser, userAgent, coldPreKeyMs, results: [{ case, ts }] }`, or `{ skipped: reason }`
 */
export async function measureInChromium({ roundMs, rounds, entry = join(here, 'crypto.browser-entry.mjs') }) {
  if (!existsSync(CHROMIUM_PATH)) return { skipped: `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)` };
  const js = await bundle(entry);
  const server = await serve(js);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page
      .waitForFunction(() => typeof globalThis.runCryptoBench === 'function', null, { timeout: 30_000 })
      .catch(() => {
        throw new Error(`benchmark page did not load: ${errors.join('; ') || 'timeout'}`);
      });
    const out = await page.evaluate((o) => globalThis.runCryptoBench(o), { roundMs, rounds });
    return { browser: `Chromium ${browser.version()}`, ...out };
  } finally {
    await browser.close();
    server.close();
  }
}
