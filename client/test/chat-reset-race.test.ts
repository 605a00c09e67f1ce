/**
 * The key-exchange reset race (issue 8, items 3 and 4), in Chromium against the real app: an
 * exchange runs, then one side's local storage is cleared and the page reloaded within 60 s
 * (while the offer is still fresh) — Bob's, Alice's, or both. Before, Bob's page answered the
 * old offer a second time and both sides ended with different secrets under one epoch name.
 * Now the conversation recovers by itself, both sides show a "Keys reset" notice (an `li` with
 * text, readable contrast), and both read every new message.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import {
  type ChatPerson,
  chatPerson,
  FLAGGED,
  openChatWith,
  sendText,
  shownEntries,
} from '../../test/support/chat-people.js';

const running = useAppAndChromium();

const lastFrom = async (page: Page, who: '<' | '>') =>
  (await shownEntries(page)).filter((e) => e.who === who).at(-1)?.text;

async function clearStorageAndReload(person: ChatPerson, other: string) {
  await person.page.evaluate(() => localStorage.clear());
  await person.page.reload();
  await person.page.getByRole('button', { name: new RegExp(other) }).click();
}

/** The contrast ratio (WCAG) of an element's text against the page behind it. */
function contrastOf(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const channel = (c: number) => {
          const s = c / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * channel(r ?? 0) + 0.7152 * channel(g ?? 0) + 0.0722 * channel(b ?? 0);
      };
      let background = 'rgb(255, 255, 255)';
      for (let node: Element | null = element; node; node = node.parentElement) {
        const color = getComputedStyle(node).backgroundColor;
        const parts = rgb(color);
        if (parts.length === 3 || (parts.length === 4 && parts[3] === 1)) {
          background = color;
          break;
        }
      }
      const [fg, bg] = [
        luminance(rgb(getComputedStyle(element).color)),
        luminance(rgb(background)),
      ];
      return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    });
}

async function race(names: [string, string], cleared: 'bob' | 'alice' | 'both') {
  const { app, browser } = running;
  const alice = await chatPerson(app, browser, names[0]);
  const bob = await chatPerson(app, browser, names[1]);
  await openChatWith(bob.page, names[0]);
  await openChatWith(alice.page, names[1]);
  // Alice's first message starts the exchange; Bob's page answers it.
  await sendText(alice.page, 'first');
  await expect.poll(() => lastFrom(bob.page, '<'), { timeout: 20_000 }).toBe('first');
  // Within 60 s of the exchange, storage is cleared and the page reloaded.
  if (cleared !== 'alice') await clearStorageAndReload(bob, names[0]);
  if (cleared !== 'bob') await clearStorageAndReload(alice, names[1]);
  // The conversation recovers by itself: both sides show the reset, then read every new message.
  for (const person of [alice, bob]) {
    await person.page
      .getByText(/^Keys reset/)
      .first()
      .waitFor({ timeout: 20_000 });
  }
  for (let round = 0; round < 2; round += 1) {
    await sendText(alice.page, `from alice ${round}`);
    await expect
      .poll(() => lastFrom(bob.page, '<'), { timeout: 20_000 })
      .toBe(`from alice ${round}`);
    await sendText(bob.page, `from bob ${round}`);
    await expect
      .poll(() => lastFrom(alice.page, '<'), { timeout: 20_000 })
      .toBe(`from bob ${round}`);
  }
  for (const person of [alice, bob]) {
    const entries = await shownEntries(person.page);
    expect(entries.filter((e) => FLAGGED.test(e.text))).toEqual([]);
    // The notice is a list item with text (not a role=note inside the list), readable.
    const notice = person.page.locator('.chat-log > li.keys-reset');
    expect(await notice.count()).toBeGreaterThan(0);
    expect(await notice.first().getAttribute('role')).toBeNull();
    expect(await notice.first().textContent()).toMatch(/can't be read in/);
    expect(await contrastOf(person.page, '.chat-log > li.keys-reset')).toBeGreaterThanOrEqual(4.5);
    expect(person.pageErrors).toEqual([]);
  }
  await alice.context.close();
  await bob.context.close();
}

/** Bob signed in on a second browser (another context: its own localStorage, its own key store). */
async function secondBrowser(person: ChatPerson): Promise<ChatPerson> {
  const { app, browser } = running;
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  await context.addCookies(await person.context.cookies());
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${app.url}/chat`);
  await page.getByText(`Signed in as ${person.name}`).waitFor();
  return { name: person.name, context, page, pageErrors };
}

describe('the key-exchange reset race', () => {
  it('Bob (who answered) clears his storage within 60 s: recovers, both told, both read', async () => {
    await race(['racealice1', 'racebob1'], 'bob');
  }, 120_000);

  it('Alice (who offered) clears hers within 60 s: recovers, both told, both read', async () => {
    await race(['racealice2', 'racebob2'], 'alice');
  }, 120_000);

  it('both clear within 60 s: recovers, both told, both read', async () => {
    await race(['racealice3', 'racebob3'], 'both');
  }, 120_000);

  it('two browsers of Bob (two key stores) both answer one offer: recovers, no alarm, the browser Bob uses reads every new message', async () => {
    const { app, browser } = running;
    const alice = await chatPerson(app, browser, 'racealice4');
    const bob = await chatPerson(app, browser, 'racebob4');
    const bob2 = await secondBrowser(bob);
    await openChatWith(bob.page, 'racealice4');
    await openChatWith(bob2.page, 'racealice4');
    await openChatWith(alice.page, 'racebob4');
    // Both of Bob's browsers get Alice's offer live and both answer it.
    await sendText(alice.page, 'first');
    await expect
      .poll(
        async () =>
          [await lastFrom(bob.page, '<'), await lastFrom(bob2.page, '<')].includes('first'),
        { timeout: 20_000 },
      )
      .toBe(true);
    // The race did happen: the relay stored two different answers of Bob to one offer.
    const [rows] = await app.testDb.database.pool.query(
      `SELECT m.payload FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE u.username_key = 'racebob4' AND m.payload LIKE '%"type":"kx-reply"%' ORDER BY m.id`,
    );
    const replies = (rows as { payload: string }[]).map(
      (r) => JSON.parse(r.payload) as { xid: string; key: string },
    );
    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(replies[1]?.xid).toBe(replies[0]?.xid);
    expect(replies[1]?.key).not.toBe(replies[0]?.key);
    // Whichever browser Bob uses reads Alice's new messages and is read; then the other one.
    for (const [index, page] of [bob.page, bob2.page, bob.page].entries()) {
      await sendText(page, `from bob ${index}`);
      await expect
        .poll(() => lastFrom(alice.page, '<'), { timeout: 20_000 })
        .toBe(`from bob ${index}`);
      await sendText(alice.page, `from alice ${index}`);
      await expect.poll(() => lastFrom(page, '<'), { timeout: 20_000 }).toBe(`from alice ${index}`);
    }
    for (const person of [alice, bob, bob2]) {
      expect((await shownEntries(person.page)).filter((e) => FLAGGED.test(e.text))).toEqual([]);
      expect(person.pageErrors).toEqual([]);
    }
    await alice.context.close();
    await bob.context.close();
    await bob2.context.close();
  }, 120_000);
});
