/**
 * Sign-up, sign-out, sign-in, wrong password, wrong key, lost key and a locked account, in
 * Chromium with CDP virtual security keys, against the real app and database.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import { type PageProblems, watchProblems } from '../../test/support/browser.js';
import { readRecoveryCodes, signUpInPage } from '../../test/support/sign-up.js';
import { attachVirtualKey, type VirtualKey } from '../../test/support/virtual-authenticator.js';

const running = useAppAndChromium();

interface User {
  context: BrowserContext;
  page: Page;
  key: VirtualKey;
  problems: PageProblems;
  codes: Map<number, string>;
}

const PASSWORD = 'copper lantern meadow';

async function newUser(): Promise<User> {
  const context = await running.browser.newContext();
  const page = await context.newPage();
  const problems = await watchProblems(context, page);
  const key = await attachVirtualKey(context, page);
  return { context, page, key, problems, codes: new Map() };
}

async function signUp(user: User, username: string, password = PASSWORD) {
  user.codes = await signUpInPage(running.app, user.page, username, password);
}

async function fillSignIn(page: Page, username: string, password: string) {
  await page.goto(`${running.app.url}/signin`);
  await page.getByLabel('Username').fill(username);
  await page.locator('#current-password').fill(password);
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
}

/** Types the recovery code whose number the page asks for. */
async function fillAskedRecoveryCode(page: Page, codes: Map<number, string>) {
  const label = await page.locator('label[for="recovery-code"]').textContent();
  const number = Number(/#(\d+)/.exec(label ?? '')?.[1]);
  await page.getByLabel(`Recovery code #${number}`).fill(codes.get(number) ?? '');
}

async function expectClean(user: User) {
  expect(user.problems.pageErrors).toEqual([]);
  expect(await user.problems.cspViolations()).toEqual([]);
}

describe('sign-up and sign-in in Chromium with a virtual security key', () => {
  it('signs up: password, CAPTCHA, key, recovery codes; then signs out and back in', async () => {
    const user = await newUser();
    const { page } = user;
    await page.goto(`${running.app.url}/signup`);
    await page.locator('img.captcha-image').waitFor();
    await page.locator('#new-password').fill('x');
    // Show-password toggle: the field switches to plain text and back.
    await page.getByRole('button', { name: 'Show' }).click();
    expect(await page.locator('#new-password').getAttribute('type')).toBe('text');
    await page.getByRole('button', { name: 'Hide' }).click();
    expect(await page.locator('#new-password').getAttribute('type')).toBe('password');
    await page.locator('.strength-label').getByText('Strength:').waitFor();
    await page.screenshot({ path: '.tmp/signup-page.png', fullPage: true });
    await signUp(user, 'alice');
    expect(user.codes.size).toBe(10);
    expect(await user.key.credentialCount()).toBe(1);
    // Sign out: the server forgets the session and the cookie is erased.
    await signOut(page);
    const cookies = await user.context.cookies();
    expect(cookies.find((c) => c.name === '__Host-parley-session')).toBeUndefined();
    expect(await page.evaluate(async () => (await fetch('/api/session')).status)).toBe(401);
    // Sign in with password and key.
    await fillSignIn(page, 'alice', PASSWORD);
    await page.getByRole('heading', { name: 'Welcome, alice' }).waitFor();
    const session = (await user.context.cookies()).find((c) => c.name === '__Host-parley-session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(session?.expires).toBe(-1);
    // No session secret in web storage.
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
    await expectClean(user);
    await user.context.close();
  });

  it('refuses a wrong password with a clear message, and a wrong security key', async () => {
    const user = await newUser();
    await signUp(user, 'bob');
    await signOut(user.page);
    await fillSignIn(user.page, 'bob', 'not the password at all');
    await expect
      .poll(() => user.page.locator('.form-error').textContent())
      .toContain('username or password is not right');
    // Another key: remove the registered authenticator, attach a blank one.
    await user.key.remove();
    user.key = await attachVirtualKey(user.context, user.page);
    await fillSignIn(user.page, 'bob', PASSWORD);
    await expect
      .poll(() => user.page.locator('.form-error').textContent(), { timeout: 20_000 })
      .toMatch(/security key was not used|Sign-in failed/);
    expect(await user.page.evaluate(async () => (await fetch('/api/session')).status)).toBe(401);
    await expectClean(user);
    await user.context.close();
  });

  it('lost key: password + recovery code, then a new key, new codes, and the old key removed', async () => {
    const user = await newUser();
    await signUp(user, 'carol');
    const oldCodes = user.codes;
    await signOut(user.page);
    await user.key.remove();
    const spare = await attachVirtualKey(user.context, user.page);
    await fillSignIn(user.page, 'carol', PASSWORD);
    await user.page.getByRole('button', { name: /lost my security key/ }).click();
    await fillAskedRecoveryCode(user.page, oldCodes);
    await user.page.getByRole('button', { name: 'Sign in' }).click();
    await user.page.getByRole('heading', { name: 'Set up a new second factor' }).waitFor();
    await user.page.getByLabel('Name for the new key (optional)').fill('Spare key');
    await user.page.getByRole('button', { name: 'Register the new key' }).click();
    const newCodes = await readRecoveryCodes(user.page);
    expect([...newCodes.values()]).not.toEqual([...oldCodes.values()]);
    expect(await spare.credentialCount()).toBe(1);
    await user.page.getByLabel('I saved my recovery codes somewhere safe').check();
    await user.page.getByRole('button', { name: 'Continue' }).click();
    await user.page.getByRole('heading', { name: 'Your account' }).waitFor();
    await user.page
      .getByRole('button', { name: 'Remove Test key' })
      .or(user.page.getByRole('button', { name: 'Remove Security key' }))
      .click();
    await user.page.getByRole('button', { name: 'Yes, remove it' }).click();
    await expect
      .poll(() => user.page.locator('.notice-box').textContent())
      .toContain('was removed');
    await expect.poll(() => user.page.locator('.key-list li.revoked').count()).toBe(1);
    await expectClean(user);
    await user.context.close();
  });

  it('a locked account says so, and unlocks with the key and a recovery code', async () => {
    const user = await newUser();
    await signUp(user, 'dave');
    await signOut(user.page);
    // The 100 failures themselves are driven through the API in server/test (§5.2.2).
    await running.app.testDb.database.pool.query(
      'UPDATE users SET failed_attempts = 100, locked_at = UTC_TIMESTAMP(3) WHERE username_key = ?',
      ['dave'],
    );
    await fillSignIn(user.page, 'dave', PASSWORD);
    // 100 failures on the account: a CAPTCHA first, then the lock is told.
    await user.page.locator('img.captcha-image').waitFor();
    await user.page.getByLabel('Characters in the picture').fill(running.app.captcha.lastAnswer());
    await user.page.getByRole('button', { name: 'Continue' }).click();
    await user.page
      .locator('.form-error')
      .getByText(/locked/)
      .waitFor();
    await user.page.getByRole('link', { name: 'Unlock your account' }).click();
    await user.page.getByLabel('Username').fill('dave');
    await user.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await user.page.getByLabel('A recovery code you have not used').fill(user.codes.get(3) ?? '');
    await user.page.getByRole('button', { name: 'Unlock with my security key' }).click();
    await user.page.getByText('Your account is unlocked').waitFor();
    await fillSignIn(user.page, 'dave', PASSWORD);
    await user.page.getByRole('heading', { name: 'Welcome, dave' }).waitFor();
    await expectClean(user);
    await user.context.close();
  });
});
