import { describe, expect, it } from 'vitest';
import { useAppAndChromium } from '../../test/support/app-and-chromium.js';
import { watchProblems } from '../../test/support/browser.js';

const running = useAppAndChromium();

describe('landing page in Chromium', () => {
  it('renders with no console error and no CSP violation', async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    const problems = await watchProblems(context, page);
    const response = await page.goto(running.app.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await expect.poll(() => page.locator('parley-landing-page h1').textContent()).toBe('Parley');
    expect(await page.title()).toBe('Parley');
    expect(
      await page.locator('parley-landing-page').getByText('End-to-end encrypted').isVisible(),
    ).toBe(true);
    expect(problems.pageErrors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
    expect(await problems.cspViolations()).toEqual([]);
    await context.close();
  });

  it('routes an unknown page to the not-found page, and links back', async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${running.app.url}/no-such-page`);
    await expect
      .poll(() => page.locator('parley-not-found-page h1').textContent())
      .toBe('Page not found');
    await page.locator('parley-not-found-page a').click();
    await expect.poll(() => page.locator('parley-landing-page h1').textContent()).toBe('Parley');
    expect(new URL(page.url()).pathname).toBe('/');
    await context.close();
  });

  it('refuses the live channel WebSocket without a signed-in session', async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    await page.goto(running.app.url);
    const outcome = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(`${location.origin.replace('http', 'ws')}/api/ws`);
          socket.onopen = () => resolve('open');
          socket.onerror = () => resolve('refused');
        }),
    );
    expect(outcome).toBe('refused');
    await context.close();
  });
});
