/**
 * The real app, built in-process as main.ts builds it, served on a free loopback port with
 * WebSockets, against a throwaway database. For browser tests.
 */
import type { AddressInfo } from 'node:net';
import { serve, upgradeWebSocket } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import type { AppDeps } from '../../server/app.js';
import type { Config } from '../../server/config.js';
import { MAX_FRAME_BYTES } from '../../server/routes/live-channel.js';
import { buildTestApp } from './test-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface RunningApp {
  url: string;
  /** Solves the CAPTCHAs this app shows (the most recent picture's answer). */
  captcha: ReturnType<typeof buildTestApp>['captcha'];
  /** The same app instance the server runs, for in-process requests in tests. */
  app: ReturnType<typeof buildTestApp>['app'];
  testDb: TestDatabase;
  logger: ReturnType<typeof buildTestApp>['logger'];
  stop(): Promise<void>;
}

export async function startAppServer(
  overrides: Partial<Omit<AppDeps, 'database' | 'config' | 'upgradeWebSocket'>> & {
    config?: Partial<Config>;
    /** A database another instance uses too (then stop() leaves it to the caller). */
    testDb?: TestDatabase;
  } = {},
): Promise<RunningApp> {
  const { testDb: shared, ...appOverrides } = overrides;
  const testDb = shared ?? (await createTestDatabase());
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  let built: ReturnType<typeof buildTestApp> | undefined;
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve(
      {
        fetch: (request, env) => built!.app.fetch(request, env),
        port: 0,
        hostname: '127.0.0.1',
        websocket: { server: webSockets },
      },
      () => resolve(started),
    );
  });
  const port = (server.address() as AddressInfo).port;
  // localhost (not 127.0.0.1): WebAuthn needs a domain as relying party id, and Chromium treats
  // http://localhost as a secure context, so __Host- cookies and security keys work there.
  const url = `http://localhost:${port}`;
  built = buildTestApp(testDb.database, {
    ...appOverrides,
    upgradeWebSocket,
    config: { publicOrigin: url, port, ...appOverrides.config },
  });
  return {
    url,
    testDb,
    captcha: built.captcha,
    app: built.app,
    logger: built.logger,
    async stop() {
      for (const client of webSockets.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!shared) await testDb.drop();
    },
  };
}
