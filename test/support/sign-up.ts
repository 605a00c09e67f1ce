/** Signing up through the real pages, as a person would: password, CAPTCHA, key, codes. */
import type { Page } from 'playwright-core';
import type { RunningApp } from './app-server.js';

/** The recovery codes the page shows, by their number. */
export async function readRecoveryCodes(page: Page): Promise<Map<number, string>> {
  await page.locator('.recovery-sheet code').first().waitFor();
  const items = await page.locator('.recovery-sheet li').allTextContents();
  return new Map(
    items.map((text) => {
      const match = /#(\d+)\s+(\S+)/.exec(text.trim());
      return [Number(match?.[1]), match?.[2] ?? ''];
    }),
  );
}

/** Signs up and lands on the home page; returns the recovery codes shown on the way. */
export async function signUpInPage(
  app: RunningApp,
  page: Page,
  username: string,
  password: string,
): Promise<Map<number, string>> {
  await page.goto(`${app.url}/signup`);
  await page.locator('img.captcha-image').waitFor();
  await page.getByLabel('Username').fill(username);
  await page.locator('#new-password').fill(password);
  await page.getByLabel('Characters in the picture').fill(app.captcha.lastAnswer());
  await page.getByRole('button', { name: 'Continue' }).click();
  const codes = await readRecoveryCodes(page);
  await page.getByLabel('I saved my recovery codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor();
  return codes;
}
