/**
 * A throwaway database per test file: a random name on the test server, migrated, dropped at
 * the end. Test files never share tables, so they can run in parallel.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase, type Database } from '../../server/db/client.js';
import { migrateDatabase } from '../../server/db/migrate.js';

export const migrationsDir = join(import.meta.dirname, '..', '..', 'db', 'migrations');

export interface TestDatabase {
  url: string;
  name: string;
  database: Database;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('databaseServerUrl');
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString(), migrationsDir);
  const database = createDatabase(url.toString(), { connectionLimit: 5 });
  return {
    url: url.toString(),
    name,
    database,
    async drop() {
      await database.close();
      const cleanup = await mysql.createConnection({ uri: serverUrl });
      await cleanup.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await cleanup.end();
    },
  };
}

/**
 * A throwaway database for one test file: made before its tests, dropped after. Call at the
 * top of the file; read its fields inside the tests.
 */
export function useTestDatabase(): TestDatabase {
  let made: TestDatabase | undefined;
  beforeAll(async () => {
    made = await createTestDatabase();
  });
  afterAll(async () => {
    await made?.drop();
  });
  const get = (): TestDatabase => {
    if (!made) throw new Error('the database is made in beforeAll: use it in a test');
    return made;
  };
  return {
    get url() {
      return get().url;
    },
    get name() {
      return get().name;
    },
    get database() {
      return get().database;
    },
    drop: () => get().drop(),
  };
}
