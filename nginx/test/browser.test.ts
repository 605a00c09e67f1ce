/**
 * A real browser against the stack: Chromium trusting our CA through an NSS database (as a user
 * who imported ca.crt), at https://DOMAIN:PORT/ with the name mapped to loopback. No flag
 * ignores certificate errors: a Chromium without the CA must fail, and does.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchProblems } from '../../test/support/browser.js';
import { startStack, type TestStack } from '../../test/support/stack.js';
import { launchTrustingChromium } from '../../test/support/trusting-chromium.js';

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchTrustingChromium(stack.caFile);
});

afterAll(async () => {
  await browser?.close();
  await stack?.down();
});

describe('Chromium trusting our CA', () => {
  it('loads the site over TLS 1.3 as a secure context, with no certificate error', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = await watchProblems(context, page);
    const response = await page.goto(`${stack.origin}/`);
    expect(response?.status()).toBe(200);
    const security = await response?.securityDetails();
    expect(security?.protocol).toBe('TLS 1.3');
    expect(security?.subjectName).toBe(stack.domain);
    expect(security?.issuer).toMatch(/Parley development CA/);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    expect(await page.evaluate(() => location.origin)).toBe(stack.origin);
    // WebAuthn needs a secure context without certificate errors: the API is there.
    expect(await page.evaluate(() => typeof PublicKeyCredential)).toBe('function');
    expect(problems.consoleErrors.filter((error) => /certificate|ERR_CERT/i.test(error))).toEqual(
      [],
    );
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  });

  it('follows a subdomain to the site, path kept, under a valid certificate', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`https://foo.${stack.domain}:${stack.httpsPort}/some/page?x=1`);
    expect(page.url()).toBe(`${stack.origin}/some/page?x=1`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await context.close();
  });

  it('follows plain HTTP to HTTPS (in a fresh context: no HSTS memory)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://${stack.domain}:${stack.httpPort}/about?y=2`);
    expect(page.url()).toBe(`${stack.origin}/about?y=2`);
    await context.close();
  });
});

describe('Chromium that does not trust our CA', () => {
  it('refuses the site with a certificate error: nothing is being ignored', async () => {
    const untrusting = await launchTrustingChromium();
    try {
      const page = await untrusting.newPage();
      await expect(page.goto(`${stack.origin}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });
});
