import { expect } from '@jest/globals';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

export const PASSWORD = 'correct horse battery staple';
export const STEP_TIMEOUT = 15_000;
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

/** One person at one browser: a context, a page, and the errors the page reported. */
export interface Person {
  handle: string;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

/** Collects uncaught page errors and CSP violations of `page` into `problems`. */
export function watchProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(`csp: ${message.text()}`);
    }
  });
}

/** A fresh browser context (its own storage: a separate browser) with one page. */
export async function openPerson(
  browser: Browser,
  baseUrl: string,
  handle: string,
  viewport: { width: number; height: number },
): Promise<Person> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems: string[] = [];
  watchProblems(page, problems);
  return { handle, context, page, problems };
}

/** Another tab of the same browser (same storage, same device). */
export async function openTab(person: Person): Promise<Page> {
  const page = await person.context.newPage();
  watchProblems(page, person.problems);
  return page;
}

export async function expectText(locator: Locator, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
}

export const pairList = (person: Person) => person.page.getByRole('list', { name: 'Your pairs' });

export const shot = (page: Page, name: string, fullPage = true) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });

/**
 * Registers through the UI, then signs in naming the device; ends on /pairs. Resolves to a promise
 * that settles once this browser published its device's public keys (first sign-in: `PUT /keys`).
 */
export async function registerAndSignIn(person: Person, deviceName: string): Promise<{ keysPublished: Promise<void> }> {
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
  const keysPublished = page
    .waitForResponse(
      (response) => new URL(response.url()).pathname === '/keys' && response.request().method() === 'PUT',
      {
        timeout: 90_000,
      },
    )
    .then((response) => {
      if (!response.ok()) throw new Error(`PUT /keys answered ${response.status()}`);
    });
  keysPublished.catch(() => undefined);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await page.waitForURL(/\/pairs$/);
  await page.getByRole('heading', { name: 'Pairs', level: 1 }).waitFor();
  return { keysPublished };
}

/** `asker` asks `accepter` to pair through the UI and `accepter` accepts; both end on /pairs. */
export async function pairPeople(asker: Person, accepter: Person): Promise<void> {
  await asker.page.getByLabel('Ask someone to pair').fill(accepter.handle);
  await asker.page.getByRole('button', { name: 'Send request' }).click();
  await expectText(asker.page.getByRole('status'), `Request sent to @${accepter.handle}.`);

  await accepter.page.getByRole('button', { name: 'Refresh' }).click();
  await accepter.page.getByRole('button', { name: `Accept @${asker.handle}` }).click();
  await expectText(pairList(accepter), `@${asker.handle}`);
  await asker.page.reload();
  await expectText(pairList(asker), `@${accepter.handle}`);
}
