/**
 * The real app, built in-process as main.ts builds it and served as main.ts serves it
 * (server/serve.ts: the same WebSocket server and frame bound), on a free loopback port. For
 * browser tests and integration tests that talk to it over HTTP and WebSockets.
 */
import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../../server/app.js';
import type { Config } from '../../server/config.js';
import type { Database } from '../../server/db/client.js';
import { serveApp, upgradeWebSocket } from '../../server/serve.js';
import { buildTestApp } from './test-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

type Built = ReturnType<typeof buildTestApp>;

export type TestAppOverrides = Partial<
  Omit<AppDeps, 'database' | 'config' | 'upgradeWebSocket'>
> & {
  config?: Partial<Config>;
};

export interface ServedTestApp {
  /** http://localhost:<port> (the app's public origin). */
  url: string;
  port: number;
  built: Built;
  /** Drops every socket and closes the server (the database is the caller's). */
  close(): Promise<void>;
}

/** Serves the app on `database` on a free port; its public origin is that port's URL. */
export async function serveTestApp(
  database: Database,
  overrides: TestAppOverrides = {},
): Promise<ServedTestApp> {
  let built: Built | undefined;
  const served = await serveApp({
    fetch: (request, env) => built!.app.fetch(request, env),
    port: 0,
    hostname: '127.0.0.1',
  });
  const port = served.port;
  // localhost (not 127.0.0.1): WebAuthn needs a domain as relying party id, and Chromium treats
  // http://localhost as a secure context, so __Host- cookies and security keys work there.
  const url = `http://localhost:${port}`;
  built = buildTestApp(database, {
    ...overrides,
    upgradeWebSocket,
    config: { publicOrigin: url, port, ...overrides.config },
  });
  return { url, port, built, close: () => served.close({ terminate: true }) };
}

export interface RunningApp {
  url: string;
  /** Solves the CAPTCHAs this app shows (the most recent picture's answer). */
  captcha: Built['captcha'];
  /** The same app instance the server runs, for in-process requests in tests. */
  app: Built['app'];
  testDb: TestDatabase;
  logger: Built['logger'];
  stop(): Promise<void>;
}

/** The app on a throwaway database of its own (or a shared one, `testDb`). */
export async function startAppServer(
  overrides: TestAppOverrides & {
    /** A database another instance uses too (then stop() leaves it to the caller). */
    testDb?: TestDatabase;
  } = {},
): Promise<RunningApp> {
  const { testDb: shared, ...appOverrides } = overrides;
  const testDb = shared ?? (await createTestDatabase());
  const served = await serveTestApp(testDb.database, appOverrides);
  return {
    url: served.url,
    testDb,
    captcha: served.built.captcha,
    app: served.built.app,
    logger: served.built.logger,
    async stop() {
      await served.close();
      if (!shared) await testDb.drop();
    },
  };
}

/**
 * The app on a throwaway database for one test file: started before its tests, stopped after.
 * Call at the top of the file; read the fields inside its tests.
 */
export function useAppServer(overrides: TestAppOverrides = {}): RunningApp {
  let started: RunningApp | undefined;
  beforeAll(async () => {
    started = await startAppServer(overrides);
  });
  afterAll(async () => {
    await started?.stop();
  });
  const get = (): RunningApp => {
    if (!started) throw new Error('the app starts in beforeAll: use it in a test');
    return started;
  };
  return {
    get url() {
      return get().url;
    },
    get captcha() {
      return get().captcha;
    },
    get app() {
      return get().app;
    },
    get testDb() {
      return get().testDb;
    },
    get logger() {
      return get().logger;
    },
    stop: () => get().stop(),
  };
}
