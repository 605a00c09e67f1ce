/**
 * The chat as people expect it from a messenger, in Chromium against the real app: an address
 * per conversation, multi-line messages, phones, unread counts that last, delivery and read
 * states, notifications.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import { type PageProblems, watchProblems } from '../../test/support/browser.js';
import { signUpInPage } from '../../test/support/sign-up.js';
import { attachVirtualKey } from '../../test/support/virtual-authenticator.js';

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

  it('Shift+Enter makes a two-line message that arrives as two lines; a pasted newline stays; a counter near the limit', async () => {
    const [carol, dave] = [await person('carol'), await person('dave')];
    await openChat(dave);
    await openChat(carol, '/chat/dave');
    await expect.poll(() => heading(carol).textContent()).toBe('dave');
    const box = carol.page.getByLabel('Message', { exact: true });
    await box.click();
    await carol.page.keyboard.type('first line');
    await carol.page.keyboard.press('Shift+Enter');
    await carol.page.keyboard.type('second line');
    expect(await box.inputValue()).toBe('first line\nsecond line');
    await carol.page.keyboard.press('Enter');
    await send(carol, 'one line');
    await box.fill('pasted\nnewline');
    await carol.page.keyboard.press('Enter');
    await dave.page.getByRole('button', { name: /carol/ }).click();
    const sent = ['first line\nsecond line', 'one line', 'pasted\nnewline'];
    await expect.poll(() => texts(dave), { timeout: 15_000 }).toEqual(sent);
    await expect.poll(() => texts(carol)).toEqual(sent);
    // Shown on two lines: twice the height of a one-line message, as text (no <br> element).
    const heights = await dave.page
      .locator('.chat-log .chat-text')
      .evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().height));
    expect(heights[0]).toBeGreaterThan((heights[1] ?? 0) * 1.8);
    expect(await dave.page.locator('.chat-log br').count()).toBe(0);

    // Near the protocol's limit (16,384 bytes of UTF-8) a counter appears; over it, no sending.
    const counter = carol.page.locator('#chat-counter');
    expect(await counter.textContent()).toBe('');
    await box.fill('x'.repeat(15_000));
    await expect.poll(() => counter.textContent()).toBe('1,384 bytes left');
    await box.fill(`${'x'.repeat(16_383)}é`);
    await expect.poll(() => counter.textContent()).toBe('1 byte too many');
    expect(await carol.page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await carol.page.keyboard.press('Enter');
    expect(await texts(carol)).toHaveLength(3);
    expect((await box.inputValue()).length).toBe(16_384);
    await box.fill('x'.repeat(16_384));
    await carol.page.keyboard.press('Enter');
    await expect.poll(() => texts(dave), { timeout: 15_000 }).toHaveLength(4);
    expect(await counter.textContent()).toBe('');

    await expectClean(carol);
    await expectClean(dave);
    await carol.context.close();
    await dave.context.close();
  }, 90_000);

  it('at 390 × 844: one pane at a time, the composer inside the viewport, opening at the newest message', async () => {
    const phone = { width: 390, height: 844 };
    const [erin, frank] = [await person('erin', phone), await person('frank')];
    await openChat(frank);
    await openChat(erin);
    const list = erin.page.locator('.chat-side');
    const composer = erin.page.getByLabel('Message', { exact: true });
    expect(await list.isVisible()).toBe(true);
    expect(await erin.page.locator('.chat-main').isVisible()).toBe(false);
    await find(erin, 'frank');
    // The conversation replaces the list.
    expect(await list.isVisible()).toBe(false);
    const inViewport = async () => {
      const box = await composer.boundingBox();
      const send = await erin.page.getByRole('button', { name: 'Send' }).boundingBox();
      return (
        box !== null &&
        send !== null &&
        box.y >= 0 &&
        box.y + box.height <= phone.height &&
        send.y + send.height <= phone.height &&
        send.x + send.width <= phone.width
      );
    };
    expect(await inViewport()).toBe(true);
    for (let i = 1; i <= 25; i += 1) await send(erin, `phone message ${i}`);
    await expect
      .poll(() => erin.page.locator('.chat-log [data-state="sent"]').count(), { timeout: 20_000 })
      .toBe(25);
    expect(await inViewport()).toBe(true);
    expect(
      await erin.page.evaluate(() => document.documentElement.scrollHeight),
    ).toBeLessThanOrEqual(phone.height);
    await erin.page.screenshot({ path: '.tmp/chat-phone-conversation.png' });

    // Reloaded, it opens at the newest message with the composer on screen.
    await erin.page.reload();
    await expect.poll(() => texts(erin)).toHaveLength(25);
    await expect.poll(() => fromBottom(erin)).toBeLessThan(2);
    expect(
      await erin.page
        .locator('.chat-log')
        .getByText('phone message 25', { exact: true })
        .isVisible(),
    ).toBe(true);
    expect(await inViewport()).toBe(true);

    // The back control returns to the list.
    await erin.page.getByRole('link', { name: 'Back to your chats' }).click();
    await expect.poll(() => path(erin)).toBe('/chat');
    expect(await list.isVisible()).toBe(true);
    expect(await erin.page.locator('.chat-main').isVisible()).toBe(false);
    await erin.page.screenshot({ path: '.tmp/chat-phone-list.png' });

    await expectClean(erin);
    await erin.context.close();
    await frank.context.close();
  }, 90_000);

  it('a hidden tab gets a notification (opt-in, text hidden on request); clicking it opens the conversation', async () => {
    const george = await person('george', undefined, {
      permissions: ['notifications'],
      // The permission is the browser context's; the origin is the app's.
    });
    await george.context.grantPermissions(['notifications'], { origin: running.app.url });
    // Headless Chromium's pages are always "visible", and freezing the page through CDP
    // (Page.setWebLifecycleState) would stop its scripts and socket too, so the test makes the
    // document report itself hidden (visibilityState, hidden, and a visibilitychange event).
    // Notification is wrapped to record what the app shows; the real constructor still runs.
    await george.page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      w.__hidden = false;
      for (const name of ['visibilityState', 'hidden'] as const) {
        Object.defineProperty(document, name, {
          configurable: true,
          get: () => (name === 'hidden' ? w.__hidden === true : w.__hidden ? 'hidden' : 'visible'),
        });
      }
      const Real = window.Notification;
      const shown: { title: string; body: string | undefined; notification: Notification }[] = [];
      w.__shown = shown;
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, body: options?.body, notification: this });
        }
      }
      Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
      Object.defineProperty(Recorded, 'requestPermission', {
        value: () => Real.requestPermission(),
      });
      w.Notification = Recorded;
    });
    const hank = await person('hank');
    await openChat(george);
    await george.page.getByLabel('Notify me of messages while this tab is hidden').check();
    await expect
      .poll(() =>
        george.page.getByLabel('Notify me of messages while this tab is hidden').isChecked(),
      )
      .toBe(true);
    const shown = () =>
      george.page.evaluate(() =>
        ((window as unknown as { __shown: { title: string; body: string }[] }).__shown ?? []).map(
          ({ title, body }) => ({ title, body }),
        ),
      );
    const hide = (hidden: boolean) =>
      george.page.evaluate((value) => {
        (window as unknown as { __hidden: boolean }).__hidden = value;
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);

    await openChat(hank, '/chat/george');
    await expect.poll(() => heading(hank).textContent()).toBe('george');
    await send(hank, 'while you look');
    await expect
      .poll(() => george.page.getByRole('button', { name: /hank/ }).textContent(), {
        timeout: 15_000,
      })
      .toContain('new');
    await george.page.waitForTimeout(300);
    expect(await shown()).toEqual([]);

    await hide(true);
    await send(hank, 'while you are away');
    await expect
      .poll(shown, { timeout: 15_000 })
      .toEqual([{ title: 'hank', body: 'while you are away' }]);
    await george.page.getByLabel('Hide the message text in notifications').check();
    await send(hank, 'a secret');
    await expect
      .poll(() => shown().then((list) => list.at(-1)))
      .toEqual({
        title: 'hank',
        body: 'New message',
      });

    // Clicking the notification opens Hank's conversation.
    await george.page.evaluate(() => {
      const list = (window as unknown as { __shown: { notification: Notification }[] }).__shown;
      list.at(-1)?.notification.dispatchEvent(new Event('click'));
    });
    await expect.poll(() => path(george)).toBe('/chat/hank');
    await expect.poll(() => heading(george).textContent()).toBe('hank');
    await expect
      .poll(() => texts(george))
      .toEqual(['while you look', 'while you are away', 'a secret']);

    await expectClean(george);
    await george.context.close();
    await hank.context.close();
  }, 90_000);

  it('unread counts last: Bob away while Alice sends 3, then signs in: 3 on her entry and in the title, cleared by opening, also after a reload', async () => {
    const [kim, leo] = [await person('kim'), await person('leo')];
    await openChat(leo);
    await openChat(kim, '/chat/leo');
    await expect.poll(() => heading(kim).textContent()).toBe('leo');
    await send(kim, 'before you left');
    await expect
      .poll(() => leo.page.locator('.contact .contact-preview').textContent(), { timeout: 15_000 })
      .toBe('before you left');
    // Leo opens it (read), then signs out: he is away.
    const marked = leo.page.waitForResponse((r) => r.url().endsWith('/read'));
    await leo.page.getByRole('button', { name: /kim/ }).click();
    await expect.poll(() => texts(leo)).toEqual(['before you left']);
    expect((await marked).status()).toBe(204);
    await leo.page.goto(`${running.app.url}/home`);
    await leo.page.getByRole('button', { name: 'Sign out' }).first().click();
    await leo.page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    for (const text of ['one', 'two', 'three']) await send(kim, text);
    await expect
      .poll(() => kim.page.locator('.chat-log [data-state="sent"]').count(), { timeout: 15_000 })
      .toBe(4);

    // A new sign-in: the count from the server's read mark and the history decrypted here.
    await leo.page.getByLabel('Username').fill('leo');
    await leo.page.locator('#current-password').fill(PASSWORD);
    await leo.page.getByRole('button', { name: 'Continue' }).click();
    await leo.page.getByRole('heading', { name: 'Welcome, leo' }).waitFor();
    await openChat(leo);
    const badge = leo.page.getByRole('button', { name: /kim/ }).locator('.unread');
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toBe('3 new');
    await expect.poll(() => leo.page.title()).toBe('(3) Parley');
    expect(await leo.page.locator('.contact .contact-preview').textContent()).toBe('three');
    // It lasts through a reload.
    await leo.page.reload();
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toBe('3 new');
    await expect.poll(() => leo.page.title()).toBe('(3) Parley');

    // Opening the conversation clears it, here and after a reload.
    const markedAll = leo.page.waitForResponse((r) => r.url().endsWith('/read'));
    await leo.page.getByRole('button', { name: /kim/ }).click();
    await expect.poll(() => texts(leo)).toEqual(['before you left', 'one', 'two', 'three']);
    expect((await markedAll).status()).toBe(204);
    await expect.poll(() => badge.count()).toBe(0);
    await expect.poll(() => leo.page.title()).toBe('Parley');
    await leo.page.goto(`${running.app.url}/chat`);
    await leo.page.getByText('Signed in as leo').waitFor();
    await expect
      .poll(() => leo.page.locator('.contact .contact-preview').textContent())
      .toBe('three');
    expect(await badge.count()).toBe(0);
    expect(await leo.page.title()).toBe('Parley');

    // Contacts by last activity: a new contact who writes moves above Kim.
    const mia = await person('mia');
    await openChat(mia, '/chat/leo');
    await expect.poll(() => heading(mia).textContent()).toBe('leo');
    await send(mia, 'hello from mia');
    await expect
      .poll(() => leo.page.locator('.contact .contact-name').allTextContents(), { timeout: 15_000 })
      .toEqual(['mia', 'kim']);
    await expect.poll(() => leo.page.title()).toBe('(1) Parley');

    await expectClean(kim);
    await expectClean(leo);
    await kim.context.close();
    await leo.context.close();
    await mia.context.close();
  }, 120_000);
});
