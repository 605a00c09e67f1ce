/**
 * Debian's Chromium driven by playwright-core: never a downloaded browser. Each call gets a
 * fresh temporary profile. The flags keep Chromium off the (closed) network.
 */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(
  options: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    ...(options.env ? { env: options.env } : {}),
  });
}

export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  /** CSP violations reported by the page itself (securitypolicyviolation events). */
  cspViolations(): Promise<string[]>;
}

/** Watches a page for console errors, uncaught exceptions and CSP violations. */
export async function watchProblems(context: BrowserContext, page: Page): Promise<PageProblems> {
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.effectiveDirective} blocked ${event.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    consoleErrors,
    pageErrors,
    cspViolations: () =>
      page.evaluate(
        () => (window as unknown as { __cspViolations: string[] }).__cspViolations ?? [],
      ),
  };
}
