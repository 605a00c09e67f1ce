/**
 * The real app built in-process (as main.ts builds it) and served with WebSockets on a free
 * loopback port, against a database the test chooses (e.g. on a private mariadbd it kills or
 * locks). Users are signed up in-process; their session cookies open live-channel sockets.
 */
import type { AddressInfo } from 'node:net';
import { serve, upgradeWebSocket } from '@hono/node-server';
import mysql from 'mysql2/promise';
import { WebSocketServer } from 'ws';
import type { Config } from '../../server/config.js';
import { createDatabase, type Database, type DatabaseOptions } from '../../server/db/client.js';
import { migrateDatabase } from '../../server/db/migrate.js';
import { MAX_FRAME_BYTES } from '../../server/routes/live-channel.js';
import { ApiClient, signUp } from './api-client.js';
import { buildTestApp } from './test-app.js';
import { migrationsDir } from './test-database.js';

export interface LiveApp {
  url: string;
  database: Database;
  built: ReturnType<typeof buildTestApp>;
  /** Signs a new user up; returns its id and session cookie. */
  user(name: string): Promise<{ id: string; cookie: string; client: ApiClient }>;
  stop(): Promise<void>;
}

/** Creates (if needed) and migrates the database `name` on the server at `serverUrl`. */
export async function prepareDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = await mysql.createConnection({ uri: serverUrl });
  await admin.query(
    `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  );
  await admin.end();
  const url = `${serverUrl}${name}`;
  await migrateDatabase(url, migrationsDir);
  return url;
}

export async function startLiveApp(
  databaseUrl: string,
  options: { config?: Partial<Config>; database?: DatabaseOptions } = {},
): Promise<LiveApp> {
  const database = createDatabase(databaseUrl, { connectionLimit: 10, ...options.database });
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
  const url = `http://localhost:${port}`;
  built = buildTestApp(database, {
    upgradeWebSocket,
    config: { publicOrigin: url, port, ...options.config },
  });
  const app = built;
  return {
    url,
    database,
    built: app,
    async user(name) {
      const client = new ApiClient(app.app, url);
      await signUp(client, app.captcha, name, 'juniper trombone glacier');
      const me = await client.get('/api/users/me');
      return { id: me.body.id as string, cookie: client.cookie ?? '', client };
    },
    async stop() {
      for (const client of webSockets.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
