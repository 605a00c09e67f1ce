/**
 * The whole deployment end to end: in Chromium trusting our CA through an NSS database, at
 * https://DOMAIN:PORT/ (name mapped to loopback), sign up with a virtual security key, sign out,
 * sign in again, and use the live channel: every request through nginx's TLS to the built app
 * started by scripts/stack.sh. The app runs with CAPTCHA_TEST_MODE (so NODE_ENV=test, which the
 * app requires for it); nothing ignores a certificate error.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTCHA_TEST_MODE_ANSWER } from '../../server/auth/auth-settings.js';
import { watchProblems } from '../../test/support/browser.js';
import { startStack, type TestStack } from '../../test/support/stack.js';
import { launchTrustingChromium } from '../../test/support/trusting-chromium.js';
import { attachVirtualKey } from '../../test/support/virtual-authenticator.js';

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ STACK_NODE_ENV: 'test', CAPTCHA_TEST_MODE: 'on' });
  browser = await launchTrustingChromium(stack.caFile);
});

afterAll(async () => {
  await browser?.close();
  await stack?.down();
});

const PASSWORD = 'harbour kettle juniper';

async function signIn(page: Page, username: string) {
  await page.goto(`${stack.origin}/signin`);
  await page.getByLabel('Username').fill(username);
  await page.locator('#current-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor();
}

describe('sign-up and sign-in through nginx and TLS', () => {
  it('signs up with a security key, signs out, signs in again, and opens the live channel', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = await watchProblems(context, page);
    const key = await attachVirtualKey(context, page);

    const response = await page.goto(`${stack.origin}/signup`);
    expect((await response?.securityDetails())?.protocol).toBe('TLS 1.3');
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await page.locator('img.captcha-image').waitFor();
    await page.getByLabel('Username').fill('erin');
    await page.locator('#new-password').fill(PASSWORD);
    await page.getByLabel('Characters in the picture').fill(CAPTCHA_TEST_MODE_ANSWER);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.recovery-sheet code').first().waitFor();
    expect(await page.locator('.recovery-sheet li').count()).toBe(10);
    await page.getByLabel('I saved my recovery codes somewhere safe').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Welcome, erin' }).waitFor();
    expect(await key.credentialCount()).toBe(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    expect(
      (await context.cookies()).find((c) => c.name === '__Host-parley-session'),
    ).toBeUndefined();

    await signIn(page, 'erin');
    const session = (await context.cookies()).find((c) => c.name === '__Host-parley-session');
    expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
    expect(session?.domain).toBe(stack.domain);

    // The live channel through nginx's WebSocket proxy: hello, then a pong for our ping.
    const frames = await page.evaluate(
      () =>
        new Promise<unknown[]>((resolve, reject) => {
          const seen: unknown[] = [];
          const socket = new WebSocket(`wss://${location.host}/api/ws`);
          socket.onmessage = (event) => {
            const frame = JSON.parse(String(event.data)) as { type: string };
            seen.push(frame);
            if (frame.type === 'hello') socket.send(JSON.stringify({ type: 'ping', id: 'e2e' }));
            if (frame.type === 'pong') {
              socket.close();
              resolve(seen);
            }
          };
          socket.onerror = () => reject(new Error('WebSocket error'));
          setTimeout(() => reject(new Error(`no pong; frames: ${JSON.stringify(seen)}`)), 10_000);
        }),
    );
    expect(frames).toEqual([
      { type: 'hello', protocol: 1 },
      { type: 'pong', id: 'e2e' },
    ]);

    expect(problems.pageErrors).toEqual([]);
    expect(await problems.cspViolations()).toEqual([]);
    expect(problems.consoleErrors.filter((error) => /ERR_CERT|certificate/i.test(error))).toEqual(
      [],
    );
    // The app saw the browser's real address through nginx on the sign-in requests.
    const signInLines = stack
      .appLog()
      .filter((line) => typeof line.path === 'string' && line.path.startsWith('/api/signin/'));
    expect(signInLines.length).toBeGreaterThan(0);
    expect(new Set(signInLines.map((line) => line.ip))).toEqual(new Set(['127.0.0.1']));
    await context.close();
  });
});
