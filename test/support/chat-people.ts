/** People using the chat in Chromium: sign up, open a conversation, send, read what is shown. */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RunningApp } from './app-server.js';
import { signUpInPage } from './sign-up.js';
import { attachVirtualKey } from './virtual-authenticator.js';

export const PASSWORD = 'copper lantern meadow';

export interface ChatPerson {
  name: string;
  context: BrowserContext;
  page: Page;
  pageErrors: string[];
}

/** Signs up in a fresh context and opens the chat page. */
export async function chatPerson(
  app: RunningApp,
  browser: Browser,
  name: string,
): Promise<ChatPerson> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await attachVirtualKey(context, page);
  await signUpInPage(app, page, name, PASSWORD);
  await page.getByRole('link', { name: 'Open your chats' }).click();
  await page.getByText(`Signed in as ${name}`).waitFor();
  return { name, context, page, pageErrors };
}

/**
 * Two people talking: each signed up with the other's conversation open, and their keys agreed
 * (the first's text 'keys first' shown at the second). Pass an AppProcess as a RunningApp:
 * signing up needs only its URL and CAPTCHA answer.
 */
export async function talkingPair(
  app: RunningApp,
  browser: Browser,
  [first, second]: [string, string],
): Promise<[ChatPerson, ChatPerson]> {
  const a = await chatPerson(app, browser, first);
  const b = await chatPerson(app, browser, second);
  await openChatWith(b.page, first);
  await openChatWith(a.page, second);
  await sendText(a.page, 'keys first');
  await expect.poll(async () => (await shownEntries(b.page)).length, { timeout: 20_000 }).toBe(1);
  return [a, b];
}

/** Another tab of the same browser (context) on the chat page. */
export async function anotherTab(app: RunningApp, person: ChatPerson): Promise<Page> {
  const page = await person.context.newPage();
  page.on('pageerror', (error) => person.pageErrors.push(error.message));
  await page.goto(`${app.url}/chat`);
  await page.getByText(`Signed in as ${person.name}`).waitFor();
  return page;
}

export async function openChatWith(page: Page, other: string) {
  await page.getByLabel('Find a contact by username').fill(other);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('heading', { name: other, level: 2 }).waitFor();
}

export async function sendText(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

export interface ShownEntry {
  /** '>' mine, '<' theirs, '' a system line. */
  who: string;
  text: string;
  state: string | null;
  /** What the peer's receipts said of one's own text: 'delivered', 'read', or null. */
  receipt: string | null;
}

/** What the open conversation shows, entry by entry. */
export function shownEntries(page: Page): Promise<ShownEntry[]> {
  return page.locator('.chat-log > li').evaluateAll((nodes) =>
    nodes.map((node) => {
      const el = node as HTMLElement;
      const text =
        el.querySelector('.chat-text')?.textContent ??
        [...el.childNodes]
          .filter((child) => child.nodeType === Node.TEXT_NODE)
          .map((child) => child.textContent)
          .join('');
      const who = el.classList.contains('mine') ? '>' : el.classList.contains('theirs') ? '<' : '';
      return {
        who,
        text: text.trim(),
        state: el.getAttribute('data-state'),
        receipt: el.getAttribute('data-receipt'),
      };
    }),
  );
}

export const FLAGGED = /^Rejected:/;
