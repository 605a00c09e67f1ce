/**
 * Two tabs of one user send at the same moment (issue 8, item 1). One tab's WebSocket frames are
 * held back 150 ms on their way to the server (Playwright's WebSocket route, in front of the real
 * socket), so without the cross-tab send lock the other tab's higher counter reaches the relay
 * first and the recipient rejects the lower one as out of order. With it, every message of 20
 * rounds is accepted and both tabs show their own as sent.
 */
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import {
  anotherTab,
  chatPerson,
  FLAGGED,
  openChatWith,
  shownEntries,
} from '../../test/support/chat-people.js';

const running = useAppAndChromium();
const ROUNDS = 20;
const HOLD_MS = 150;

describe('two tabs of one browser', () => {
  it(`both press Enter at the same moment, ${ROUNDS} rounds: the recipient accepts every message`, async () => {
    const { app, browser } = running;
    const [alice, bob] = [
      await chatPerson(app, browser, 'tabsalice'),
      await chatPerson(app, browser, 'tabsbob'),
    ];
    await openChatWith(bob.page, 'tabsalice');
    const one = alice.page;
    const two = await anotherTab(app, alice);
    // Tab one's frames to the server take HOLD_MS longer (a slow path, forced).
    await one.routeWebSocket('**/api/ws', (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        setTimeout(() => server.send(message), HOLD_MS);
      });
    });
    await one.reload();
    await one.getByText('Signed in as tabsalice').waitFor();
    await openChatWith(one, 'tabsbob');
    await openChatWith(two, 'tabsbob');
    // Keys first, so every round races on counters alone.
    await one.getByLabel('Message', { exact: true }).fill('hello');
    await one.getByLabel('Message', { exact: true }).press('Enter');
    await expect
      .poll(async () => (await shownEntries(bob.page)).length, { timeout: 20_000 })
      .toBe(1);

    const mine = async (page: typeof one, prefix: string) =>
      (await shownEntries(page)).filter((e) => e.who === '>' && e.text.startsWith(prefix));
    for (let round = 0; round < ROUNDS; round += 1) {
      await one.getByLabel('Message', { exact: true }).fill(`one ${round}`);
      await two.getByLabel('Message', { exact: true }).fill(`two ${round}`);
      await Promise.all([
        one.getByLabel('Message', { exact: true }).press('Enter'),
        two.getByLabel('Message', { exact: true }).press('Enter'),
      ]);
    }
    const sentIn = async (page: typeof one, prefix: string) =>
      (await mine(page, prefix)).filter((e) => e.state === 'sent').length;
    await expect.poll(() => sentIn(one, 'one '), { timeout: 30_000 }).toBe(ROUNDS);
    await expect.poll(() => sentIn(two, 'two '), { timeout: 30_000 }).toBe(ROUNDS);

    // The recipient, live and after a reload (history): every message, none rejected.
    const received = async () => (await shownEntries(bob.page)).filter((e) => e.who === '<');
    await expect
      .poll(async () => (await received()).length, { timeout: 20_000 })
      .toBe(2 * ROUNDS + 1);
    const flaggedAtBob = async () =>
      (await shownEntries(bob.page)).filter((e) => FLAGGED.test(e.text)).length;
    expect(await flaggedAtBob()).toBe(0);
    await bob.page.reload();
    await bob.page.getByRole('button', { name: /tabsalice/ }).click();
    await expect.poll(async () => (await received()).length).toBe(2 * ROUNDS + 1);
    expect(await flaggedAtBob()).toBe(0);
    const texts = new Set((await received()).map((e) => e.text));
    for (let round = 0; round < ROUNDS; round += 1) {
      expect(texts.has(`one ${round}`) && texts.has(`two ${round}`)).toBe(true);
    }
    // Both sender tabs show every message of the browser (their own and the other tab's) as
    // sent, once each, and no false alarm.
    for (const page of [one, two]) {
      await expect
        .poll(
          async () =>
            (await shownEntries(page)).filter((e) => e.who === '>' && e.state === 'sent').length,
        )
        .toBe(2 * ROUNDS + 1);
      expect((await shownEntries(page)).filter((e) => FLAGGED.test(e.text))).toEqual([]);
    }
    // The server stored each message once.
    const [rows] = await app.testDb.database.pool.query(
      `SELECT COUNT(*) AS n FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE u.username_key = 'tabsalice' AND m.payload LIKE '%"type":"msg"%'`,
    );
    expect(Number((rows as { n: number }[])[0]?.n)).toBe(2 * ROUNDS + 1);
    expect(alice.pageErrors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  }, 120_000);

  it('a burst of 50 from each tab at once: all sent, pipelined per lock grant, all accepted', async () => {
    const { app, browser } = running;
    const [alice, bob] = [
      await chatPerson(app, browser, 'burstalice'),
      await chatPerson(app, browser, 'burstbob'),
    ];
    await openChatWith(bob.page, 'burstalice');
    const one = alice.page;
    const two = await anotherTab(app, alice);
    await openChatWith(one, 'burstbob');
    await openChatWith(two, 'burstbob');
    await one.getByLabel('Message', { exact: true }).fill('hello');
    await one.getByLabel('Message', { exact: true }).press('Enter');
    await expect
      .poll(async () => (await shownEntries(bob.page)).length, { timeout: 20_000 })
      .toBe(1);
    const BURST = 50;
    // Typed as fast as the page takes them: each submit is one message.
    const burst = (page: typeof one, prefix: string) =>
      page.evaluate(
        ([count, label]) => {
          const input = document.querySelector<HTMLInputElement>('#chat-message');
          const form = input?.form;
          if (!input || !form) throw new Error('no composer');
          for (let i = 0; i < count; i += 1) {
            input.value = `${label} ${i}`;
            form.requestSubmit();
          }
        },
        [BURST, prefix] as const,
      );
    const started = performance.now();
    await Promise.all([burst(one, 'one'), burst(two, 'two')]);
    const sentIn = async (page: typeof one, prefix: string) =>
      (await shownEntries(page)).filter(
        (e) => e.who === '>' && e.text.startsWith(prefix) && e.state === 'sent',
      ).length;
    await expect.poll(() => sentIn(one, 'one '), { timeout: 60_000 }).toBe(BURST);
    await expect.poll(() => sentIn(two, 'two '), { timeout: 60_000 }).toBe(BURST);
    const tookMs = performance.now() - started;
    const received = async () => (await shownEntries(bob.page)).filter((e) => e.who === '<');
    await expect
      .poll(async () => (await received()).length, { timeout: 30_000 })
      .toBe(2 * BURST + 1);
    expect((await shownEntries(bob.page)).filter((e) => FLAGGED.test(e.text))).toEqual([]);
    // Each tab's own messages in the order typed.
    const order = (await received()).map((e) => e.text);
    for (const prefix of ['one', 'two']) {
      const mineInOrder = order.filter((t) => t.startsWith(`${prefix} `));
      expect(mineInOrder).toEqual(Array.from({ length: BURST }, (_, i) => `${prefix} ${i}`));
    }
    console.log(
      `two tabs, a burst of ${BURST} each: all ${2 * BURST} acknowledged in ${Math.round(tookMs)} ms`,
    );
    await alice.context.close();
    await bob.context.close();
  }, 120_000);
});
