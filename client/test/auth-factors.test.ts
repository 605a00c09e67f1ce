/**
 * Issue 10 in Chromium, against the real app and database: an authenticator app as the second
 * factor (the test computes the codes with an independent TOTP), a recovery-code sign-in that
 * binds an app instead of a key, a mistyped recovery code that keeps the code step, the
 * sessions list ending another session, and a key removal refused without a recent password.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import { type PageProblems, watchProblems } from '../../test/support/browser.js';
import { readRecoveryCodes, signUpInPage } from '../../test/support/sign-up.js';
import { base32Decode, referenceTotp, totpStepOf } from '../../test/support/totp-reference.js';
import { attachVirtualKey, type VirtualKey } from '../../test/support/virtual-authenticator.js';

const running = useAppAndChromium();
const PASSWORD = 'copper lantern meadow';

interface User {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
  key: VirtualKey | undefined;
}

async function newUser(withKey = true): Promise<User> {
  const context = await running.browser.newContext();
  const page = await context.newPage();
  const problems = await watchProblems(context, page);
  const key = withKey ? await attachVirtualKey(context, page) : undefined;
  return { context, page, problems, key };
}

async function expectClean(user: User) {
  expect(user.problems.pageErrors).toEqual([]);
  expect(await user.problems.cspViolations()).toEqual([]);
}

/** A code of the app for the step `offset` steps from now. */
const codeFor = (secret: Uint8Array, offset = 0) =>
  referenceTotp(secret, totpStepOf(Date.now()) + offset);

async function fillSignIn(page: Page, username: string) {
  await page.goto(`${running.app.url}/signin`);
  await page.getByLabel('Username').fill(username);
  await page.locator('#current-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function signOut(page: Page) {
  await page
    .getByRole('navigation', { name: 'Parley' })
    .getByRole('button', { name: 'Sign out' })
    .click();
  await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
}

/** Reads the key the enrolment shows (once) and returns it decoded. */
async function shownSecret(page: Page): Promise<Uint8Array> {
  const text = (await page.locator('.totp-secret').textContent()) ?? '';
  expect(await page.locator('svg.totp-qr rect').count()).toBeGreaterThan(100);
  return base32Decode(text);
}

/** Signs up with an authenticator app and lands on the home page; returns the app's secret. */
async function signUpWithApp(page: Page, username: string): Promise<Uint8Array> {
  await page.goto(`${running.app.url}/signup`);
  await page.locator('img.captcha-image').waitFor();
  await page.getByLabel('Username').fill(username);
  await page.locator('#new-password').fill(PASSWORD);
  await page.getByLabel('An authenticator app on your phone').check();
  await page.getByLabel('Characters in the picture').fill(running.app.captcha.lastAnswer());
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
  const secret = await shownSecret(page);
  await page.getByLabel('Code from the app').fill(codeFor(secret));
  await page.getByRole('button', { name: 'Confirm the code' }).click();
  await readRecoveryCodes(page);
  await page.getByLabel('I saved my recovery codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor();
  return secret;
}

describe('authenticator app and forgiving flows in Chromium', () => {
  it('signs up with an authenticator app (codes computed by the test), signs out, signs in with a code', async () => {
    const user = await newUser(false);
    const { page } = user;
    await page.goto(`${running.app.url}/signup`);
    await page.locator('img.captcha-image').waitFor();
    await page.getByLabel('Username').fill('frank');
    await page.locator('#new-password').fill(PASSWORD);
    await page.getByLabel('An authenticator app on your phone').check();
    await page.getByLabel('Characters in the picture').fill(running.app.captcha.lastAnswer());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    const secret = await shownSecret(page);
    await page.screenshot({ path: '.tmp/totp-enrol.png', fullPage: true });
    // A wrong code keeps the same QR code; the right one confirms.
    await page.getByLabel('Code from the app').fill(codeFor(secret, 5));
    await page.getByRole('button', { name: 'Confirm the code' }).click();
    await expect.poll(() => page.locator('.form-error').textContent()).toContain('does not match');
    await page.getByLabel('Code from the app').fill(codeFor(secret));
    await page.getByRole('button', { name: 'Confirm the code' }).click();
    const codes = await readRecoveryCodes(page);
    expect(codes.size).toBe(10);
    await page.getByLabel('I saved my recovery codes somewhere safe').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Welcome, frank' }).waitFor();
    await signOut(page);
    await fillSignIn(page, 'frank');
    // The enrolment used this step: the next one (one step of drift allowed) signs in.
    await page.getByLabel('6-digit code').fill(codeFor(secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome, frank' }).waitFor();
    // Focus moved to the page's main heading on the route change.
    // (Polled: the app moves focus once the new page has rendered, just after the heading shows.)
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('Your account');
    await page.getByRole('heading', { name: 'Authenticator app' }).waitFor();
    // The key is never shown again.
    expect(await page.locator('.totp-secret').count()).toBe(0);
    await page.getByRole('link', { name: 'Chats', exact: true }).click();
    await page.waitForURL(/\/chat$/);
    await expectClean(user);
    await user.context.close();
  });

  it('a mistyped recovery code keeps the code step with a newly numbered code; then it binds an authenticator app instead of a key', async () => {
    const user = await newUser();
    const { page } = user;
    const codes = await signUpInPage(running.app, page, 'grace', PASSWORD);
    await signOut(page);
    // The key is lost: a blank one answers nothing this account knows.
    await user.key?.remove();
    await attachVirtualKey(user.context, page);
    await fillSignIn(page, 'grace');
    await page.getByRole('button', { name: /lost my security key/ }).click();
    const asked = async () =>
      Number(
        /#(\d+)/.exec((await page.locator('label[for="recovery-code"]').textContent()) ?? '')?.[1],
      );
    const first = await asked();
    await page.getByLabel(`Recovery code #${first}`).fill('AAAA-BBBB-CCCC-DDDD');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.form-error').textContent()).toContain('not right');
    // Still on the code step, with another number; the password is not asked again.
    const second = await asked();
    expect(second).not.toBe(first);
    expect(await page.locator('#current-password').count()).toBe(0);
    await page.getByLabel(`Recovery code #${second}`).fill(codes.get(second) ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Set up a new second factor' }).waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app instead' }).click();
    const secret = await shownSecret(page);
    await page.getByLabel('Code from the app').fill(codeFor(secret));
    await page.getByRole('button', { name: 'Confirm the code' }).click();
    const newCodes = await readRecoveryCodes(page);
    expect([...newCodes.values()]).not.toEqual([...codes.values()]);
    await page.getByLabel('I saved my recovery codes somewhere safe').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByText(/^Set up /).waitFor();
    const [failed] = await running.app.testDb.database.pool.query(
      "SELECT COUNT(*) AS n FROM security_events e JOIN users u ON u.id = e.user_id WHERE u.username_key = 'grace' AND e.type = 'sign_in_failed'",
    );
    expect(Number((failed as { n: number }[])[0]?.n)).toBe(1);
    await expectClean(user);
    await user.context.close();
  });

  it('the sessions list marks this one and ends another, whose next request gets 401', async () => {
    const laptop = await newUser(false);
    const secret = await signUpWithApp(laptop.page, 'heidi');
    const phone = await newUser(false);
    await fillSignIn(phone.page, 'heidi');
    await phone.page.getByLabel('6-digit code').fill(codeFor(secret, 1));
    await phone.page.getByRole('button', { name: 'Sign in' }).click();
    await phone.page.getByRole('heading', { name: 'Welcome, heidi' }).waitFor();
    await laptop.page.getByRole('link', { name: 'Account', exact: true }).click();
    await laptop.page.getByRole('heading', { name: 'Signed-in sessions' }).waitFor();
    const list = laptop.page.locator('.session-list li');
    await expect.poll(() => list.count()).toBe(2);
    expect(await laptop.page.locator('.session-list li.current').count()).toBe(1);
    expect(await list.first().textContent()).toMatch(/Chrome on Linux|Unknown browser/);
    await laptop.page.getByRole('button', { name: /Sign out the session of/ }).click();
    await expect
      .poll(() => laptop.page.locator('.notice-box').textContent())
      .toContain('signed out');
    await expect.poll(() => list.count()).toBe(1);
    expect(await phone.page.evaluate(async () => (await fetch('/api/account')).status)).toBe(401);
    expect(await laptop.page.evaluate(async () => (await fetch('/api/account')).status)).toBe(200);
    await expectClean(laptop);
    await laptop.context.close();
    await phone.context.close();
  });

  it('removing a key asks for confirmation, and without an authentication in the last minutes is refused until the password is confirmed', async () => {
    const user = await newUser();
    const { page } = user;
    await signUpInPage(running.app, page, 'ivan', PASSWORD);
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = await shownSecret(page);
    await page.getByLabel('Code from the app').fill(codeFor(secret));
    await page.getByRole('button', { name: 'Confirm the code' }).click();
    await expect
      .poll(() => page.locator('.notice-box').textContent())
      .toContain('authenticator app is set up');
    // The sign-in was ten minutes ago.
    const pool = running.app.testDb.database.pool;
    await pool.query(
      "UPDATE sessions s JOIN users u ON u.id = s.user_id SET s.authenticated_at = UTC_TIMESTAMP(3) - INTERVAL 10 MINUTE WHERE u.username_key = 'ivan'",
    );
    const revoked = async () => {
      const [rows] = await pool.query(
        "SELECT c.revoked_at FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE u.username_key = 'ivan'",
      );
      return (rows as { revoked_at: Date | null }[])[0]?.revoked_at ?? null;
    };
    // Clicked far down a short window: the confirmation opens in view, with the focus in it
    // (it used to open at the top of the page, off screen, the focus left on Remove).
    await page.setViewportSize({ width: 1280, height: 400 });
    const remove = page.getByRole('button', { name: /^Remove / }).first();
    await remove.scrollIntoViewIfNeeded();
    await remove.click();
    await page.getByRole('heading', { name: /Remove the security key/ }).waitFor();
    const focusedInView = () =>
      page.evaluate(() => {
        const focused = document.activeElement as HTMLElement | null;
        const box = focused?.getBoundingClientRect();
        const inView = box !== undefined && box.top >= 0 && box.bottom <= window.innerHeight;
        return `${focused?.textContent?.trim() || focused?.id} ${inView ? 'in view' : 'off screen'}`;
      });
    await expect.poll(focusedInView).toBe('Yes, remove it in view');
    await page.getByRole('button', { name: 'Yes, remove it' }).click();
    // Refused: the page asks for the password, and the key is still bound.
    await page.getByRole('heading', { name: 'Confirm your password' }).waitFor();
    await expect.poll(focusedInView).toBe('reauth-password in view');
    expect(await revoked()).toBeNull();
    await page.locator('#reauth-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await expect.poll(() => page.locator('.notice-box').textContent()).toContain('was removed');
    expect(await revoked()).not.toBeNull();
    await expectClean(user);
    await user.context.close();
  });

  it('making new recovery codes asks first: Cancel keeps the old ones, Yes replaces them', async () => {
    const user = await newUser();
    const { page } = user;
    await signUpInPage(running.app, page, 'mallory', PASSWORD);
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    const pool = running.app.testDb.database.pool;
    const codeHashes = async () => {
      const [rows] = await pool.query(
        "SELECT r.code_hash FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.username_key = 'mallory' ORDER BY r.id",
      );
      return (rows as { code_hash: string }[]).map((r) => r.code_hash);
    };
    const before = await codeHashes();
    expect(before).toHaveLength(10);
    const make = page.getByRole('button', { name: 'Make new recovery codes' });
    await make.click();
    await page.getByRole('heading', { name: 'Make new recovery codes?' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page
      .getByRole('heading', { name: 'Make new recovery codes?' })
      .waitFor({ state: 'detached' });
    expect(await codeHashes()).toEqual(before);
    await make.click();
    await page.getByRole('button', { name: 'Yes, make new codes' }).click();
    await page.locator('.recovery-sheet code').first().waitFor();
    const after = await codeHashes();
    expect(after).toHaveLength(10);
    expect(after.filter((hash) => before.includes(hash))).toEqual([]);
    await expectClean(user);
    await user.context.close();
  });

  it('the recovery codes never wrap at 1280 px', async () => {
    const user = await newUser();
    const { page } = user;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${running.app.url}/signup`);
    await page.locator('img.captcha-image').waitFor();
    await page.getByLabel('Username').fill('judy');
    await page.locator('#new-password').fill(PASSWORD);
    await page.getByLabel('Characters in the picture').fill(running.app.captcha.lastAnswer());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.recovery-sheet code').first().waitFor();
    const heights = await page.locator('.recovery-sheet code').evaluateAll((els) =>
      els.map((el) => {
        const style = getComputedStyle(el);
        return el.getBoundingClientRect().height / Number.parseFloat(style.lineHeight || '20');
      }),
    );
    expect(heights).toHaveLength(10);
    for (const lines of heights) expect(lines).toBeLessThan(1.5);
    await user.context.close();
  });
});
