/** The real app and a Chromium for one test file: started before its tests, stopped after. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type RunningApp, startAppServer } from './app-server.js';
import { launchChromium } from './browser.js';

export interface AppAndChromium {
  readonly app: RunningApp;
  readonly browser: Browser;
}

/** Call at the top of a test file; read `app` and `browser` inside its tests. */
export function useAppAndChromium(): AppAndChromium {
  let started: AppAndChromium | undefined;
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startAppServer(), launchChromium()]);
    started = { app, browser };
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  const get = (): AppAndChromium => {
    if (!started) throw new Error('the app and Chromium start in beforeAll: use them in a test');
    return started;
  };
  return {
    get app() {
      return get().app;
    },
    get browser() {
      return get().browser;
    },
  };
}
