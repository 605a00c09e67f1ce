/** Signing up through the real pages, as a person would: password, CAPTCHA, key, codes. */
import type { Page } from 'playwright-core';
import type { RunningApp } from './app-server.js';

export async function signUpInPage(
  app: RunningApp,
  page: Page,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(`${app.url}/signup`);
  await page.locator('img.captcha-image').waitFor();
  await page.getByLabel('Username').fill(username);
  await page.locator('#new-password').fill(password);
  await page.getByLabel('Characters in the picture').fill(app.captcha.lastAnswer());
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.recovery-sheet code').first().waitFor();
  await page.getByLabel('I saved my recovery codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor();
}
