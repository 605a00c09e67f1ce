/**
 * axe-core inside a test page. The app's CSP and Trusted Types policy refuse an injected
 * script, so the page must belong to a context created with `bypassCSP: true`
 * (`axeContext`); only the accessibility tests use one, every other test keeps the real CSP.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue } from 'axe-core';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** A browser context whose pages accept axe-core's injected source (and nothing else differs). */
export function axeContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  return browser.newContext({ ...options, bypassCSP: true });
}

export interface AxeFinding {
  id: string;
  impact: ImpactValue | null;
  help: string;
  targets: string[];
}

/** Every violation axe-core finds on the page as it is now (WCAG 2.x A and AA, best practices). */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run(),
  );
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact ?? null,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(' ')),
  }));
}

/** The findings that fail the suite: serious and critical ones. */
export function blocking(findings: readonly AxeFinding[]): AxeFinding[] {
  return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}
