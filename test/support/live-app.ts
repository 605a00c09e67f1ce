/**
 * The real app built in-process (as main.ts builds it) and served with WebSockets on a free
 * loopback port, against a database the test chooses (e.g. on a private mariadbd it kills or
 * locks). Users are signed up in-process; their session cookies open live-channel sockets.
 */
import mysql from 'mysql2/promise';
import type { Config } from '../../server/config.js';
import { createDatabase, type Database, type DatabaseOptions } from '../../server/db/client.js';
import { migrateDatabase } from '../../server/db/migrate.js';
import { serveTestApp } from './app-server.js';
import { signUpUser, type TestUser } from './live-client.js';
import type { buildTestApp } from './test-app.js';
import { migrationsDir } from './test-database.js';

export interface LiveApp {
  url: string;
  database: Database;
  built: ReturnType<typeof buildTestApp>;
  /** Signs a new user up; returns its id and session cookie. */
  user(name: string): Promise<TestUser>;
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
  const served = await serveTestApp(database, { config: options.config ?? {} });
  const on = { ...served.built, url: served.url };
  return {
    url: served.url,
    database,
    built: served.built,
    user: (name) => signUpUser(on, name),
    async stop() {
      await served.close();
      await database.close();
    },
  };
}
