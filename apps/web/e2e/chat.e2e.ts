/**
 * Browser end-to-end test of the chat: the real api process (SQLite) serving the built web app,
 * two people in two Chromium contexts (alice on a laptop-sized window, bob on a phone-sized one),
 * pairing, twenty messages both ways with delivered and read ticks and the typing indicator, an
 * offline stretch, a second tab of the same person, and at the end a scan of every table of the
 * database and of the server's whole log for each plaintext (the scan first proves it can fail).
 *
 * Needs `npm run build` first (or PAIRCHAT_E2E_BUILD=1). Screenshots: e2e/screenshots/.
 * Device linking in a third context belongs beside this (people.ts `openPerson`/`openTab`,
 * chat.ts `openChat`/`sendMessage`/`waitForMessage` are the seam).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { ensureBuilt, startSqliteApi, WEB_INDEX, type SqliteApi } from './support/api-process.js';
import { chatLog, markersIn, openChat, statusOf, sendMessage, waitForMessage, waitForStatus } from './support/chat.js';
import {
  openPerson,
  openTab,
  pairPeople,
  registerAndSignIn,
  SCREENSHOTS,
  shot,
  type Person,
} from './support/people.js';
import { scanDatabase, scanDatabaseFiles, scanLog } from './support/plaintext-scan.js';

const apiBuilt = ensureBuilt('chat e2e');

/** Every message sent in this run: its full text and a unique marker inside it. */
interface Sent {
  text: string;
  marker: string;
}

(apiBuilt ? describe : describe.skip)('chat in Chromium', () => {
  let api: SqliteApi;
  let browser: Browser;
  let alice: Person;
  let bob: Person;
  let aliceId = '';
  let bobId = '';
  const sent: Sent[] = [];
  const run = randomBytes(4).toString('hex');

  function message(from: Person, label: string): Sent {
    const marker = `mk${sent.length.toString().padStart(2, '0')}x${run}${randomBytes(4).toString('hex')}`;
    const entry = { text: `${label} from ${from.handle.split(/[._]/)[0]} ${marker}`, marker };
    sent.push(entry);
    return entry;
  }

  beforeAll(async () => {
    if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run \`npm run build\` first`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    // debug: the most the server ever logs, so the plaintext scan covers every log line it can write.
    api = await startSqliteApi({ logLevel: 'debug' });
    browser = await launchChromium();
    const suffix = randomBytes(3).toString('hex');
    alice = await openPerson(browser, api.baseUrl, `alice_${suffix}`, { width: 1200, height: 800 });
    bob = await openPerson(browser, api.baseUrl, `bob.${suffix}`, { width: 390, height: 780 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.dispose();
  }, 30_000);

  it('registers two people, who pair and publish their keys', async () => {
    const [a, b] = [await registerAndSignIn(alice, 'Alice laptop'), await registerAndSignIn(bob, 'Bob phone')];
    await Promise.all([a.keysPublished, b.keysPublished]);
    await pairPeople(alice, bob);
    bobId = await contactIdOf(alice.page, bob.handle);
    aliceId = await contactIdOf(bob.page, alice.handle);
    expect(aliceId).not.toBe(bobId);
  }, 120_000);

  it('opens the conversation from the pair list and the Chats nav', async () => {
    await alice.page.getByRole('link', { name: `Message @${bob.handle}` }).click();
    await alice.page.waitForURL(new RegExp(`/chat/${bobId}$`));
    await chatLog(alice.page, bob.handle).waitFor();
    await alice.page.getByText('No messages yet. Say hello!').waitFor();

    // On a phone the list and the conversation are two screens, with a back button between them.
    await bob.page.getByRole('link', { name: 'Chats' }).click();
    await bob.page.waitForURL(/\/chat$/);
    await bob.page.getByRole('heading', { name: 'Chats', level: 1 }).waitFor();
    const conversations = bob.page.getByRole('navigation', { name: 'Conversations' });
    await conversations.getByRole('link', { name: new RegExp(`^@${alice.handle}`) }).click();
    await bob.page.waitForURL(new RegExp(`/chat/${aliceId}$`));
    await chatLog(bob.page, alice.handle).waitFor();
    expect(await conversations.isVisible()).toBe(false);
    await bob.page.getByRole('link', { name: 'Back to conversations' }).click();
    await bob.page.waitForURL(/\/chat$/);
    expect(await conversations.isVisible()).toBe(true);
    await openChat(bob.page, aliceId, alice.handle);
    // Wide: side by side, no back button.
    expect(await alice.page.getByRole('navigation', { name: 'Conversations' }).isVisible()).toBe(true);
    expect(await alice.page.getByRole('link', { name: 'Back to conversations' }).isVisible()).toBe(false);
  }, 60_000);

  it('names every control and landmark, and works from the keyboard', async () => {
    const { page } = alice;
    const unnamed = await page.evaluate(() => {
      const controls = document.querySelectorAll<HTMLElement>('a[href], button, textarea, input, [tabindex="0"]');
      const named = (element: HTMLElement) =>
        Boolean(
          element.getAttribute('aria-label')?.trim() ||
          element.getAttribute('aria-labelledby') ||
          (element.id && document.querySelector(`label[for="${CSS.escape(element.id)}"]`)?.textContent?.trim()) ||
          element.textContent?.trim(),
        );
      return Array.from(controls)
        .filter((element) => element.checkVisibility() && !named(element))
        .map((e) => e.outerHTML);
    });
    expect(unnamed).toEqual([]);
    for (const [role, name] of [
      ['banner', undefined],
      ['navigation', 'Main'],
      ['main', undefined],
      ['navigation', 'Conversations'],
      ['region', `@${bob.handle}`],
      ['log', `Messages with @${bob.handle}`],
      ['form', 'Write a message'],
    ] as const) {
      expect(await page.getByRole(role, name ? { name } : {}).count()).toBe(1);
    }

    // Escape closes the conversation; the list is reached by keyboard and Enter opens it again.
    await page.getByLabel(`Message to @${bob.handle}`).focus();
    await page.keyboard.press('Escape');
    await page.waitForURL(/\/chat$/);
    const item = page.getByRole('navigation', { name: 'Conversations' }).getByRole('link').first();
    await item.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/chat/${bobId}$`));
    await chatLog(page, bob.handle).waitFor();
  }, 30_000);

  it('exchanges twenty messages both ways, in order, each once', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [from, to, fromHandle] = i % 2 === 0 ? [alice, bob, bob.handle] : [bob, alice, alice.handle];
      const entry = message(from, `Message ${i + 1}`);
      const started = performance.now();
      await sendMessage(from.page, fromHandle, entry.text);
      await waitForMessage(to.page, from === alice ? alice.handle : bob.handle, entry.marker);
      latencies.push(performance.now() - started);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `chat: Enter to shown in the other browser over ${sorted.length} messages: p50 ${sorted[10]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (includes Playwright polling)`,
    );
    const expected = sent.map((entry) => entry.marker);
    for (const [page, contact] of [
      [alice.page, bob.handle],
      [bob.page, alice.handle],
    ] as const) {
      // Virtual scrolling renders the rows near the bottom; those must be the newest, in order.
      const rendered = await markersIn(page, contact);
      expect(rendered.length).toBeGreaterThanOrEqual(10);
      expect(rendered).toEqual(expected.slice(-rendered.length));
    }
  }, 120_000);

  it('shows read ticks while the recipient looks, and delivered ones while they do not', async () => {
    const last = sent.at(-2)!;
    await waitForStatus(alice.page, bob.handle, last.marker, 'Read');
    await shot(alice.page, 'chat-01-alice-read-ticks');

    await bob.page.goto('/pairs');
    const unseen = message(alice, 'While bob is on the pair list');
    await sendMessage(alice.page, bob.handle, unseen.text);
    await waitForStatus(alice.page, bob.handle, unseen.marker, 'Delivered');
    expect(await statusOf(alice.page, bob.handle, unseen.marker)).toBe('Delivered');

    await openChat(bob.page, aliceId, alice.handle);
    await waitForMessage(bob.page, alice.handle, unseen.marker);
    await waitForStatus(alice.page, bob.handle, unseen.marker, 'Read');
  }, 60_000);

  it('shows that the other person is typing', async () => {
    const composer = alice.page.getByLabel(`Message to @${bob.handle}`);
    await composer.pressSequentially('thinking', { delay: 30 });
    await bob.page.getByText(`@${alice.handle} is typing…`).waitFor();
    await shot(bob.page, 'chat-02-bob-sees-typing-390px');
    await composer.fill('');
    await composer.blur();
    await bob.page.getByText(`@${alice.handle} is typing…`).waitFor({ state: 'detached' });
  }, 30_000);

  it('delivers what was sent while one side was offline, in order and exactly once', async () => {
    await bob.context.setOffline(true);
    await bob.page.getByText('Offline — messages will be sent when you reconnect.').waitFor();
    const burst = [1, 2, 3, 4, 5].map((n) => message(alice, `Offline burst ${n}`));
    for (const entry of burst) await sendMessage(alice.page, bob.handle, entry.text);
    await waitForStatus(alice.page, bob.handle, burst.at(-1)!.marker, 'Sent');
    expect(await statusOf(alice.page, bob.handle, burst[0]!.marker)).toBe('Sent');

    await bob.context.setOffline(false);
    for (const entry of burst) await waitForMessage(bob.page, alice.handle, entry.marker);
    const markers = await markersIn(bob.page, alice.handle);
    expect(markers.slice(-burst.length)).toEqual(burst.map((entry) => entry.marker));
    expect(new Set(markers).size).toBe(markers.length);
    await waitForStatus(alice.page, bob.handle, burst.at(-1)!.marker, 'Read');
  }, 90_000);

  it('shows messages live in a second tab of the same person', async () => {
    const second = await openTab(alice);
    await second.goto(`/chat/${bobId}`);
    await chatLog(second, bob.handle).waitFor();

    const fromBob = message(bob, 'Seen in both tabs');
    await sendMessage(bob.page, alice.handle, fromBob.text);
    await waitForMessage(alice.page, bob.handle, fromBob.marker);
    await waitForMessage(second, bob.handle, fromBob.marker);

    const fromTab = message(alice, 'Sent from the second tab');
    await sendMessage(second, bob.handle, fromTab.text);
    await waitForMessage(bob.page, alice.handle, fromTab.marker);
    await waitForMessage(alice.page, bob.handle, fromTab.marker);
    for (const page of [alice.page, second, bob.page]) {
      const markers = await markersIn(page, page === bob.page ? alice.handle : bob.handle);
      expect(markers.filter((marker) => marker === fromTab.marker)).toHaveLength(1);
      expect(markers.filter((marker) => marker === fromBob.marker)).toHaveLength(1);
    }
    await second.close();
  }, 60_000);

  it('writes screenshots of the conversation and the safety number screen', async () => {
    // A few ordinary messages, so the pictures read like a conversation (scanned for like the rest).
    const lines: [Person, string][] = [
      [bob, 'Are we still on for the climbing gym on Saturday?'],
      [alice, 'Yes! 10:00 at the north entrance.\nI can bring the spare harness.'],
      [bob, 'Perfect. Should I book the bouldering room too?'],
      [alice, 'Good idea, it fills up fast on weekends'],
      [bob, 'Booked for 10:30, confirmation is in my email'],
      [alice, 'Great, see you there'],
      [bob, 'See you Saturday!'],
    ];
    for (const [from, text] of lines) {
      const to = from === alice ? bob : alice;
      sent.push({ text, marker: text });
      await sendMessage(from.page, to.handle, text);
      await waitForMessage(to.page, from.handle, text.split('\n')[0]!);
    }
    await waitForStatus(bob.page, alice.handle, 'See you Saturday!', 'Read');
    const bobComposer = bob.page.getByLabel(`Message to @${alice.handle}`);
    await bobComposer.pressSequentially('Bringing snacks', { delay: 20 });
    await alice.page.getByText(`@${bob.handle} is typing…`).waitFor();
    await shot(alice.page, 'chat-03-alice-conversation', false);
    await shot(bob.page, 'chat-04-bob-conversation-390px', false);
    await bobComposer.fill('');

    await alice.page
      .getByRole('link', { name: `Safety number with @${bob.handle}` })
      .first()
      .click();
    await alice.page.waitForURL(/\/safety$/);
    await alice.page.getByRole('list', { name: `Safety number with @${bob.handle}` }).waitFor();
    await shot(alice.page, 'chat-05-alice-safety-number');
  }, 60_000);

  it('reported no page errors or CSP violations', () => {
    expect([...alice.problems, ...bob.problems]).toEqual([]);
  });

  it('never let a plaintext reach the database or the server log', async () => {
    expect(sent.length).toBeGreaterThanOrEqual(20);
    await browser.close();
    await api.stop();
    const needles = sent.flatMap((entry) => [entry.text, entry.marker]);

    const stats = { tables: 0, rows: 0, cells: 0 };
    expect(scanDatabase(api.sqlitePath, needles, stats)).toEqual([]);
    expect(scanDatabaseFiles(api.sqlitePath, needles)).toEqual([]);
    expect(api.output().length).toBeGreaterThan(0);
    expect(scanLog(api.output(), needles, 'api stdout+stderr')).toEqual([]);
    console.log(
      `plaintext scan: ${needles.length} needles (${sent.length} messages + markers), ${stats.tables} tables, ${stats.rows} rows, ${stats.cells} cells, ${api.output().length} bytes of server log: no hit`,
    );
    expect(stats.rows).toBeGreaterThan(sent.length);

    // The scan must be able to fail: a marker and one real message put into a scratch table are found.
    const selfCheck = `selfcheck-${randomBytes(6).toString('hex')}`;
    const planted = sent[3]!;
    const db = new Database(api.sqlitePath);
    db.exec('CREATE TABLE scan_self_check (note TEXT, payload BLOB)');
    db.prepare('INSERT INTO scan_self_check VALUES (?, ?)').run(selfCheck, Buffer.from(planted.text, 'utf8'));
    db.close();
    const plantedHits = scanDatabase(api.sqlitePath, [selfCheck, ...needles]);
    expect(plantedHits.map((hit) => hit.needle).sort()).toEqual(
      [selfCheck, planted.text, planted.marker, planted.text, planted.marker].sort(),
    );
    expect(scanDatabaseFiles(api.sqlitePath, [selfCheck]).length).toBeGreaterThan(0);
    expect(scanLog(`${api.output()}\n${selfCheck}\n`, [selfCheck]).length).toBeGreaterThan(0);
    const encoded = Buffer.from(`{"body":"${planted.text}"}`).toString('base64');
    expect(scanLog(`payload=${encoded}`, [planted.marker]).map((hit) => hit.encoding)).toContain('base64');
  }, 60_000);
});

/** The account id of `handle`, from the "Message" link on this page's pair list. */
async function contactIdOf(page: Page, handle: string): Promise<string> {
  const href = await page.getByRole('link', { name: `Message @${handle}` }).getAttribute('href');
  const id = /\/chat\/([^/?#]+)$/.exec(href ?? '')?.[1];
  if (!id) throw new Error(`no Message link for @${handle} (href ${href})`);
  return decodeURIComponent(id);
}
