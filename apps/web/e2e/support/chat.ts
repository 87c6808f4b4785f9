import type { Page } from 'playwright-core';

/** The conversation's message list (role="log") with `contactHandle`. */
export const chatLog = (page: Page, contactHandle: string) =>
  page.getByRole('log', { name: `Messages with @${contactHandle}` });

/** Opens /chat/:contactId and waits for the conversation. */
export async function openChat(page: Page, contactId: string, contactHandle: string): Promise<void> {
  await page.goto(`/chat/${contactId}`);
  await chatLog(page, contactHandle).waitFor();
}

/** Types `text` into the composer of the open conversation and presses Enter. */
export async function sendMessage(page: Page, contactHandle: string, text: string): Promise<void> {
  const composer = page.getByLabel(`Message to @${contactHandle}`);
  await composer.fill(text);
  await composer.press('Enter');
  await page.locator('.message--out .message__text', { hasText: text }).first().waitFor();
}

/** Waits until a row containing `marker` is shown in the conversation with `contactHandle`. */
export async function waitForMessage(page: Page, contactHandle: string, marker: string, timeout = 20_000) {
  await chatLog(page, contactHandle).locator('.message__text', { hasText: marker }).first().waitFor({ timeout });
}

/** The status icon's text alternative ("Sent", "Read"…) of the outgoing row containing `marker`. */
export async function statusOf(page: Page, contactHandle: string, marker: string): Promise<string | null> {
  const row = chatLog(page, contactHandle).locator('.message--out', { hasText: marker }).first();
  const failed = await row.locator('.message__retry').count();
  if (failed) return 'Failed';
  return row.locator('[role="img"]').getAttribute('aria-label');
}

export async function waitForStatus(
  page: Page,
  contactHandle: string,
  marker: string,
  status: 'Sending' | 'Sent' | 'Delivered' | 'Read',
  timeout = 20_000,
): Promise<void> {
  await chatLog(page, contactHandle)
    .locator('.message--out', { hasText: marker })
    .first()
    .locator(`[role="img"][aria-label="${status}"]`)
    .waitFor({ timeout });
}

/** Markers (`mk…` words) of the rendered rows, top to bottom. */
export async function markersIn(page: Page, contactHandle: string): Promise<string[]> {
  const texts = await chatLog(page, contactHandle).locator('.message__text').allTextContents();
  return texts.flatMap((text) => text.match(/\bmk\d{2}x[0-9a-f]+\b/g) ?? []);
}
