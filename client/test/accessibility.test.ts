/**
 * axe-core on every page, signed out and signed in, in Chromium against the real app: landing,
 * sign-up (form and recovery codes), sign-in, unlock, recover, home, account, not-found, and the
 * chat with its notices, a key change, rejected and undecryptable entries. Any serious or
 * critical violation fails. The findings of every page go to .tmp/axe-results.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import { type AxeFinding, axeContext, axeViolations, blocking } from '../../test/support/axe.js';
import { watchProblems } from '../../test/support/browser.js';
import { readRecoveryCodes } from '../../test/support/sign-up.js';
import { attachVirtualKey, type VirtualKey } from '../../test/support/virtual-authenticator.js';

const running = useAppAndChromium();
const PASSWORD = 'copper lantern meadow';

const results: Record<string, AxeFinding[]> = {};

/** Runs axe on the page as it is and remembers the findings under `name`. */
async function check(page: Page, name: string) {
  const findings = await axeViolations(page);
  results[name] = findings;
  return blocking(findings);
}

afterAll(() => {
  mkdirSync('.tmp', { recursive: true });
  writeFileSync('.tmp/axe-results.json', `${JSON.stringify(results, null, 2)}\n`);
});

interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  codes: Map<number, string>;
  key: VirtualKey;
}

/** Signs up through the pages, checking the sign-up form and the recovery-code sheet. */
async function signUp(name: string, checkPages: boolean): Promise<Person> {
  const context = await axeContext(running.browser, { viewport: { width: 1000, height: 520 } });
  const page = await context.newPage();
  await watchProblems(context, page);
  const key = await attachVirtualKey(context, page);
  await page.goto(`${running.app.url}/signup`);
  await page.locator('img.captcha-image').waitFor();
  if (checkPages) expect.soft(await check(page, 'sign-up')).toEqual([]);
  await page.getByLabel('Username').fill(name);
  await page.locator('#new-password').fill(PASSWORD);
  await page.getByLabel('Characters in the picture').fill(running.app.captcha.lastAnswer());
  await page.getByRole('button', { name: 'Continue' }).click();
  const codes = await readRecoveryCodes(page);
  if (checkPages) expect.soft(await check(page, 'sign-up: recovery codes')).toEqual([]);
  await page.getByLabel('I saved my recovery codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Welcome, ${name}` }).waitFor();
  return { name, context, page, codes, key };
}

async function openChat(person: Person, other: string) {
  await person.page.goto(`${running.app.url}/chat`);
  await person.page.getByText(`Signed in as ${person.name}`).waitFor();
  await person.page.getByLabel('Find a contact by username').fill(other);
  await person.page.getByRole('button', { name: 'Find' }).click();
  await person.page.getByRole('heading', { name: other, level: 2 }).waitFor();
}

async function send(person: Person, text: string) {
  await person.page.getByLabel('Message', { exact: true }).fill(text);
  await person.page.keyboard.press('Enter');
}

const entries = (person: Person) => person.page.locator('.chat-log > li');

describe('accessibility (axe-core) in Chromium', () => {
  it('signed out: landing, sign-up, sign-in, unlock and not-found have no serious violation', async () => {
    const context = await axeContext(running.browser);
    const page = await context.newPage();
    const problems = await watchProblems(context, page);
    const pages: [string, string, () => Promise<unknown>][] = [
      ['landing', '/', () => page.locator('parley-landing-page h1').waitFor()],
      [
        'sign-in',
        '/signin',
        () => page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor(),
      ],
      [
        'unlock',
        '/unlock',
        () => page.getByRole('heading', { name: 'Unlock your account' }).waitFor(),
      ],
      [
        'not-found',
        '/no-such-page',
        () => page.getByRole('heading', { name: 'Page not found' }).waitFor(),
      ],
    ];
    for (const [name, path, ready] of pages) {
      await page.goto(`${running.app.url}${path}`);
      await ready();
      expect.soft(await check(page, name), name).toEqual([]);
    }
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  });

  it('signed in: home, account, the chat with notices and rejected entries, recover', async () => {
    const alice = await signUp('alice', true);
    expect.soft(await check(alice.page, 'home')).toEqual([]);
    await alice.page.goto(`${running.app.url}/account`);
    await alice.page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect.soft(await check(alice.page, 'account')).toEqual([]);
    await alice.page.goto(`${running.app.url}/chat`);
    await alice.page.getByText('Signed in as alice').waitFor();
    expect.soft(await check(alice.page, 'chat: no conversation open')).toEqual([]);
    await alice.page.goto(`${running.app.url}/chat/nobody`);
    await alice.page.getByRole('heading', { name: /No one here is called/ }).waitFor();
    expect.soft(await check(alice.page, 'chat: an address that names no one')).toEqual([]);

    const bob = await signUp('bob', false);
    await openChat(bob, 'alice');
    await openChat(alice, 'bob');
    expect.soft(await check(alice.page, 'chat: empty conversation')).toEqual([]);
    // A notice: there are no keys to refresh yet.
    await alice.page.getByRole('button', { name: 'Refresh' }).click();
    await alice.page.getByText('There are no keys to refresh yet').waitFor();
    await send(alice, 'Hello Bob');
    await expect.poll(() => entries(bob).count(), { timeout: 15_000 }).toBe(1);
    await send(bob, 'Hi Alice');
    await expect.poll(() => entries(alice).count()).toBe(2);
    // The polite live region tells Alice, who has the conversation open.
    const announcer = alice.page.locator('[aria-live="polite"]');
    await expect.poll(() => announcer.textContent()).toBe('bob: Hi Alice');
    // Enough to scroll: the message list must be reachable by keyboard.
    for (let i = 1; i <= 6; i += 1) await send(bob, `Line ${i} of a longer story`);
    await expect.poll(() => entries(alice).count()).toBe(8);
    await alice.page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => entries(bob).count()).toBe(9);
    await expect
      .poll(() => entries(alice).evaluateAll((n) => n.map((e) => e.getAttribute('data-state'))))
      .not.toContain('sending');
    expect.soft(await check(alice.page, 'chat: texts, a notice, keys changed')).toEqual([]);
    // By keyboard: Tab from Refresh reaches the message scroller, and Page Up scrolls it.
    await alice.page.getByRole('button', { name: 'Refresh' }).focus();
    await alice.page.keyboard.press('Tab');
    const scroller = alice.page.getByRole('region', { name: 'Messages with bob' });
    expect(await scroller.evaluate((el) => el === document.activeElement)).toBe(true);
    const bottom = await scroller.evaluate((el) => el.scrollTop);
    expect(bottom).toBeGreaterThan(0);
    await alice.page.keyboard.press('PageUp');
    await expect.poll(() => scroller.evaluate((el) => el.scrollTop)).toBeLessThan(bottom);

    // The server replays Alice's first message and forges another: Bob's page rejects both.
    const [rows] = await running.app.testDb.database.pool.query(
      `SELECT m.sender_id, m.recipient_id, m.pair_key, m.payload FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE u.username_key = 'alice' AND m.payload LIKE '%"type":"msg"%' ORDER BY m.id LIMIT 1`,
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
    // Bob opens the conversation from his contact list by keyboard.
    await bob.page.reload();
    await bob.page.getByRole('button', { name: 'alice' }).focus();
    await bob.page.keyboard.press('Enter');
    await bob.page.getByRole('heading', { name: 'alice', level: 2 }).waitFor();
    await expect.poll(() => bob.page.locator('.chat-log > li.flagged').count()).toBe(2);
    expect.soft(await check(bob.page, 'chat: rejected entries')).toEqual([]);

    // Alice's keys are gone: undecryptable entries and the warning.
    await alice.page.evaluate(() => localStorage.clear());
    await openChat(alice, 'bob');
    await alice.page.locator('.chat-warning').waitFor();
    expect.soft(await check(alice.page, 'chat: undecryptable entries and the warning')).toEqual([]);

    // Lost key: signed in with a recovery code, the recover page.
    await alice.page.goto(`${running.app.url}/home`);
    await alice.page.getByRole('button', { name: 'Sign out' }).click();
    await alice.page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    await alice.key.remove();
    await attachVirtualKey(alice.context, alice.page);
    await alice.page.getByLabel('Username').fill('alice');
    await alice.page.locator('#current-password').fill(PASSWORD);
    await alice.page.getByRole('button', { name: 'Continue' }).click();
    await alice.page.getByRole('button', { name: /lost my security key/ }).click();
    const label = await alice.page.locator('label[for="recovery-code"]').textContent();
    const number = Number(/#(\d+)/.exec(label ?? '')?.[1]);
    expect.soft(await check(alice.page, 'sign-in: recovery code')).toEqual([]);
    await alice.page.getByLabel(`Recovery code #${number}`).fill(alice.codes.get(number) ?? '');
    await alice.page.getByRole('button', { name: 'Sign in' }).click();
    await alice.page.getByRole('heading', { name: 'Set up a new second factor' }).waitFor();
    expect.soft(await check(alice.page, 'recover')).toEqual([]);

    await alice.context.close();
    await bob.context.close();
  }, 90_000);
});
