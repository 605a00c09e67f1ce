/**
 * The chat in Chromium, as two people use it: Alice and Bob (two browser contexts, each with a
 * CDP virtual security key) sign up, find each other, talk live, refresh keys, reload, and
 * Alice loses her local storage. Against the real app, relay and database.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import { type PageProblems, watchProblems } from '../../test/support/browser.js';
import {
  openChatWith as openChat,
  sendText,
  shownEntries,
} from '../../test/support/chat-people.js';
import { signUpInPage } from '../../test/support/sign-up.js';
import { attachVirtualKey } from '../../test/support/virtual-authenticator.js';

const running = useAppAndChromium();

interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
  console: string[];
}

const PASSWORD = 'copper lantern meadow';

async function person(name: string): Promise<Person> {
  const context = await running.browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  const problems = await watchProblems(context, page);
  await attachVirtualKey(context, page);
  const lines: string[] = [];
  page.on('console', (message) => lines.push(message.text()));
  await signUpInPage(running.app, page, name, PASSWORD);
  await page.getByRole('link', { name: 'Open your chats' }).click();
  await page.getByText(`Signed in as ${name}`).waitFor();
  return { name, context, page, problems, console: lines };
}

const openChatWith = (user: Person, other: string) => openChat(user.page, other);
const send = (user: Person, text: string) => sendText(user.page, text);

/** What the conversation shows, one line per entry, as a reader sees it. */
const shown = async (user: Person) =>
  (await shownEntries(user.page)).map(({ who, text }) => (who ? `${who} ${text}` : text));

const lastShown = async (user: Person) => (await shown(user)).at(-1);

async function expectClean(user: Person) {
  expect(user.problems.pageErrors).toEqual([]);
  expect(await user.problems.cspViolations()).toEqual([]);
}

describe('the chat in Chromium', () => {
  it('Alice and Bob talk end to end: live, refresh, reload, lost storage, log switch', async () => {
    const [alice, bob] = [await person('alice'), await person('bob')];

    // Bob opens the conversation first and reads Alice's first message live.
    await openChatWith(bob, 'alice');
    await openChatWith(alice, 'BOB');
    const hello = 'Hello Bob! ✓ ünïcødé <img src=x onerror=alert(1)>';
    await send(alice, hello);
    await expect.poll(() => lastShown(bob), { timeout: 15_000 }).toBe(`< ${hello}`);
    await expect.poll(() => lastShown(alice)).toBe(`> ${hello}`);
    // Shown as text: the markup in the message made no element.
    expect(await bob.page.locator('.chat-log img').count()).toBe(0);
    await send(bob, 'Hi Alice');
    await expect.poll(() => lastShown(alice)).toBe('< Hi Alice');

    // Refresh: both show "Keys changed" and messages still flow.
    await alice.page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => lastShown(alice)).toBe('Keys changed');
    await expect.poll(() => lastShown(bob)).toBe('Keys changed');
    await send(alice, 'after the refresh');
    await expect.poll(() => lastShown(bob)).toBe('< after the refresh');
    await send(bob, 'still readable');
    await expect.poll(() => lastShown(alice)).toBe('< still readable');
    const conversation = [
      `> ${hello}`,
      '< Hi Alice',
      'Keys changed',
      '> after the refresh',
      '< still readable',
    ];
    await expect.poll(() => shown(alice)).toEqual(conversation);
    await alice.page.screenshot({ path: '.tmp/chat-alice.png' });
    await bob.page.screenshot({ path: '.tmp/chat-bob.png' });

    // The console shows the crypto operations: keys, IVs, plaintexts.
    const crypto = (user: Person) => user.console.filter((l) => l.startsWith('[parley-crypto]'));
    expect(crypto(alice).some((l) => l.includes('ecdh-keygen'))).toBe(true);
    expect(crypto(alice).some((l) => l.includes('encrypt') && l.includes('iv='))).toBe(true);
    expect(crypto(bob).some((l) => l.includes('decrypt'))).toBe(true);

    // A reload decrypts the history with the keys kept in localStorage.
    await alice.page.reload();
    await alice.page.getByRole('button', { name: 'bob' }).click();
    await expect.poll(() => shown(alice)).toEqual(conversation);

    // The switch silences the log, and stays off after a reload.
    await alice.page.getByLabel('Log crypto operations to the console').uncheck();
    const before = crypto(alice).length;
    await send(alice, 'quietly');
    await expect.poll(() => lastShown(bob)).toBe('< quietly');
    await alice.page.reload();
    await alice.page.getByRole('button', { name: 'bob' }).click();
    await expect.poll(() => lastShown(alice)).toBe('> quietly');
    expect(crypto(alice).length).toBe(before);
    expect(await alice.page.getByLabel('Log crypto operations to the console').isChecked()).toBe(
      false,
    );
    await alice.page.getByLabel('Log crypto operations to the console').check();

    // Alice loses her local storage: the old messages cannot be read, with the warning; a new
    // exchange makes new messages readable on both sides.
    await alice.page.evaluate(() => localStorage.clear());
    await alice.page.reload();
    await alice.page.getByRole('button', { name: 'bob' }).click();
    await alice.page
      .getByText(
        'This browser does not hold the keys for earlier messages — local storage was cleared or this is another browser.',
      )
      .waitFor();
    const lost = await shown(alice);
    expect(lost.filter((l) => l.includes('its keys are not in this browser'))).toHaveLength(6);
    expect(lost.join('\n')).not.toContain('Hi Alice');
    await send(alice, 'new keys, new message');
    await expect.poll(() => lastShown(bob), { timeout: 15_000 }).toBe('< new keys, new message');
    await send(bob, 'welcome back');
    await expect.poll(() => lastShown(alice)).toBe('< welcome back');
    await alice.page.screenshot({ path: '.tmp/chat-alice-lost-storage.png' });

    // The server stored no plaintext.
    const [rows] = await running.app.testDb.database.pool.query('SELECT payload FROM messages');
    const stored = (rows as { payload: string }[]).map((r) => r.payload);
    expect(stored.length).toBeGreaterThan(8);
    for (const text of [hello, 'ünïcødé', 'Hi Alice', 'after the refresh', 'quietly', 'welcome']) {
      expect(stored.join('\n')).not.toContain(text);
    }
    expect(stored.every((p) => /"type":"(kx-offer|kx-reply|msg|change)"/.test(p))).toBe(true);

    await expectClean(alice);
    await expectClean(bob);
    await alice.context.close();
    await bob.context.close();
  });

  it('a message to someone whose chat is open elsewhere appears as a new contact; replayed and forged messages are flagged', async () => {
    const [carol, dave] = [await person('carol'), await person('dave')];
    await openChatWith(carol, 'dave');
    await send(carol, 'are you there?');
    // Dave's page answered the key exchange in the background; Carol's message then went out.
    await expect.poll(() => lastShown(carol), { timeout: 15_000 }).toBe('> are you there?');
    await expect
      .poll(async () => await carol.page.locator('.chat-log > li').getAttribute('data-state'))
      .toBe('sent');
    const contact = dave.page.getByRole('button', { name: /carol/ });
    await expect.poll(() => contact.textContent()).toContain('new');
    await contact.click();
    await expect.poll(() => shown(dave)).toEqual(['< are you there?']);
    expect(await contact.textContent()).not.toContain('new');
    // A misbehaving server replays Carol's message and forges another: Dave's page flags both.
    const [rows] = await running.app.testDb.database.pool.query(
      `SELECT m.sender_id, m.recipient_id, m.pair_key, m.payload FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE u.username_key = 'carol' AND m.payload LIKE '%"type":"msg"%'`,
    );
    const original = (
      rows as { sender_id: number; recipient_id: number; pair_key: string; payload: string }[]
    )[0];
    if (!original) throw new Error('no stored message');
    const forged = JSON.stringify({ ...JSON.parse(original.payload), mac: 'A'.repeat(43) });
    for (const [id, payload] of [
      ['replay', original.payload],
      ['forged', forged],
    ] as const) {
      await running.app.testDb.database.pool.query(
        'INSERT INTO messages (sender_id, recipient_id, pair_key, client_message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, NOW(3))',
        [original.sender_id, original.recipient_id, original.pair_key, id, payload],
      );
    }
    await dave.page.reload();
    await dave.page.getByRole('button', { name: /carol/ }).click();
    await expect
      .poll(() => shown(dave))
      .toEqual([
        '< are you there?',
        'Rejected: a replayed or out-of-order message',
        'Rejected: a message that failed its integrity check',
      ]);
    await dave.page.screenshot({ path: '.tmp/chat-flagged.png' });
    await expectClean(carol);
    await expectClean(dave);
    await carol.context.close();
    await dave.context.close();
  });

  it('opens no live channel when the chat page is left before it finished loading', async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    await attachVirtualKey(context, page);
    await signUpInPage(running.app, page, 'erin', PASSWORD);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/users/me', async (route) => {
      await held;
      await route.continue();
    });
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    const asked = page.waitForRequest('**/api/users/me');
    await page.getByRole('link', { name: 'Open your chats' }).click();
    await asked;
    // The person goes back before the chat page has loaded.
    await page.goBack();
    await page.getByRole('heading', { name: 'Welcome, erin' }).waitFor();
    const answered = page.waitForResponse('**/api/users/me');
    release();
    await answered;
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
    expect(sockets).toEqual([]);
    await context.close();
  });
});
