/**
 * Two tabs of the receiving user (issue 8, item 2): the relay delivers every stored message to
 * both of Bob's tabs, which share one key store. Each message is processed once per browser,
 * keyed by its relay id: neither tab may show "Rejected: replayed" for a message the other tab
 * accepted first, live or after a reload.
 */
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import {
  anotherTab,
  chatPerson,
  FLAGGED,
  openChatWith,
  sendText,
  shownEntries,
} from '../../test/support/chat-people.js';

const running = useAppAndChromium();
const MESSAGES = 12;

describe('two tabs of the receiving user', () => {
  it(`${MESSAGES} replies reach both tabs: every one shown in each, no false replay alarm`, async () => {
    const { app, browser } = running;
    const [alice, bob] = [
      await chatPerson(app, browser, 'rtabsalice'),
      await chatPerson(app, browser, 'rtabsbob'),
    ];
    const one = bob.page;
    const two = await anotherTab(app, bob);
    await openChatWith(one, 'rtabsalice');
    await openChatWith(two, 'rtabsalice');
    await openChatWith(alice.page, 'rtabsbob');
    const received = async (page: typeof one) =>
      (await shownEntries(page)).filter((e) => e.who === '<').map((e) => e.text);
    const flagged = async (page: typeof one) =>
      (await shownEntries(page)).filter((e) => FLAGGED.test(e.text)).map((e) => e.text);
    // Keys first (Bob's tab one asks), then Alice replies in a quick burst.
    await sendText(one, 'hello from tab one');
    await expect
      .poll(async () => (await shownEntries(alice.page)).length, { timeout: 20_000 })
      .toBe(1);
    const replies = Array.from({ length: MESSAGES }, (_, i) => `reply ${i}`);
    for (const text of replies) {
      await alice.page.getByLabel('Message', { exact: true }).fill(text);
      await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    }
    for (const tab of [one, two]) {
      await expect.poll(() => received(tab), { timeout: 30_000 }).toEqual(replies);
      expect(await flagged(tab)).toEqual([]);
    }
    // After a reload of one tab (history) while the other stays live: still none flagged.
    await two.reload();
    await two.getByRole('button', { name: /rtabsalice/ }).click();
    await expect.poll(() => received(two), { timeout: 20_000 }).toEqual(replies);
    await sendText(alice.page, 'after the reload');
    for (const tab of [one, two]) {
      await expect
        .poll(async () => (await received(tab)).at(-1), { timeout: 20_000 })
        .toBe('after the reload');
      expect(await flagged(tab)).toEqual([]);
    }
    expect(bob.pageErrors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  }, 120_000);
});
