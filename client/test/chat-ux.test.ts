/**
 * The chat as people expect it from a messenger, in Chromium against the real app: an address
 * per conversation, multi-line messages, phones, unread counts that last, delivery and read
 * states, notifications.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from './support/app-and-chromium.js';
import { type PageProblems, watchProblems } from './support/browser.js';
import { signUpInPage } from './support/sign-up.js';
import { attachVirtualKey } from './support/virtual-authenticator.js';

const running = useAppAndChromium();
const PASSWORD = 'copper lantern meadow';

interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

async function person(
  name: string,
  viewport = { width: 1000, height: 640 },
  contextOptions: Parameters<typeof running.browser.newContext>[0] = {},
): Promise<Person> {
  const context = await running.browser.newContext({ viewport, ...contextOptions });
  const page = await context.newPage();
  const problems = await watchProblems(context, page);
  await attachVirtualKey(context, page);
  await signUpInPage(running.app, page, name, PASSWORD);
  return { name, context, page, problems };
}

async function openChat(user: Person, path = '/chat') {
  await user.page.goto(`${running.app.url}${path}`);
  await user.page.getByText(`Signed in as ${user.name}`).waitFor();
}

async function find(user: Person, other: string) {
  await user.page.getByLabel('Find a contact by username').fill(other);
  await user.page.getByRole('button', { name: 'Find' }).click();
  await user.page.getByRole('heading', { name: other, level: 2 }).waitFor();
}

async function send(user: Person, text: string) {
  await user.page.getByLabel('Message', { exact: true }).fill(text);
  await user.page.keyboard.press('Enter');
}

const texts = (user: Person) => user.page.locator('.chat-log .chat-text').allTextContents();
const heading = (user: Person) => user.page.locator('.chat-header h2');
const path = (user: Person) => new URL(user.page.url()).pathname;

/** How far the message scroller is from its bottom, in CSS pixels. */
const fromBottom = (user: Person) =>
  user.page
    .locator('.chat-scroll')
    .evaluate((el) => el.scrollHeight - el.clientHeight - el.scrollTop);

async function expectClean(user: Person) {
  expect(user.problems.pageErrors).toEqual([]);
  expect(await user.problems.cspViolations()).toEqual([]);
}

describe('the chat as a messenger, in Chromium', () => {
  it('/chat/<name>: found, reloaded at the newest message, bookmarked, Back and Forward; an unknown name', async () => {
    const [alice, bob] = [await person('alice'), await person('bob')];
    await openChat(bob);
    await openChat(alice);
    await find(alice, 'bob');
    expect(path(alice)).toBe('/chat/bob');
    for (let i = 1; i <= 14; i += 1) await send(alice, `message ${i}`);
    await expect.poll(() => texts(alice)).toHaveLength(14);
    await expect
      .poll(() => alice.page.locator('.chat-log [data-state="sent"]').count(), { timeout: 15_000 })
      .toBe(14);

    // A reload opens the same conversation, scrolled to the newest message.
    await alice.page.reload();
    await expect.poll(() => heading(alice).textContent()).toBe('bob');
    await expect.poll(() => texts(alice)).toHaveLength(14);
    expect(
      await alice.page.locator('.chat-scroll').evaluate((el) => el.scrollHeight > el.clientHeight),
    ).toBe(true);
    await expect.poll(() => fromBottom(alice)).toBeLessThan(2);

    // Back returns to the list (no conversation open); Forward reopens it.
    await alice.page.goBack();
    await expect.poll(() => path(alice)).toBe('/chat');
    await alice.page.getByText('Choose a contact').waitFor();
    expect(await heading(alice).count()).toBe(0);
    await alice.page.goForward();
    await expect.poll(() => heading(alice).textContent()).toBe('bob');
    await expect.poll(() => fromBottom(alice)).toBeLessThan(2);

    // A bookmark: the address in a new tab; any case of the name.
    const tab = await alice.context.newPage();
    await tab.goto(`${running.app.url}/chat/BOB`);
    await expect.poll(() => tab.locator('.chat-header h2').textContent()).toBe('bob');
    await expect.poll(() => tab.locator('.chat-log .chat-text').count()).toBe(14);
    await tab.close();

    // Bob's contact list links to Alice's address.
    await bob.page.getByRole('button', { name: /alice/ }).click();
    await expect.poll(() => path(bob)).toBe('/chat/alice');

    // An unknown name: a clear pane with the way back, no error.
    await alice.page.goto(`${running.app.url}/chat/nobody`);
    await alice.page.getByRole('heading', { name: 'No one here is called “nobody”' }).waitFor();
    await alice.page.getByRole('link', { name: 'Back to your chats' }).click();
    await expect.poll(() => path(alice)).toBe('/chat');
    await alice.page.goto(`${running.app.url}/chat/${'x'.repeat(200)}`);
    await alice.page.getByRole('heading', { name: /No one here is called/ }).waitFor();

    await expectClean(alice);
    await expectClean(bob);
    await alice.context.close();
    await bob.context.close();
  }, 90_000);
});
