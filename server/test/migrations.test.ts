import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  migrationsDir,
  type TestDatabase,
} from '../../test/support/test-database.js';
import { migrateDatabase } from '../db/migrate.js';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb.drop();
});

describe('migrations', () => {
  it('are idempotent and safe when several instances start together', async () => {
    await Promise.all([1, 2, 3].map(() => migrateDatabase(testDb.url, migrationsDir)));
    const connection = await mysql.createConnection({ uri: testDb.url });
    try {
      const [applied] = await connection.query<mysql.RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM __drizzle_migrations',
      );
      const [files] = [await import('node:fs').then((fs) => fs.readdirSync(migrationsDir))];
      const sqlFiles = files.filter((file) => file.endsWith('.sql'));
      expect(Number(applied[0]?.n)).toBe(sqlFiles.length);
      const [tables] = await connection.query<mysql.RowDataPacket[]>('SHOW TABLES');
      expect(tables.map((row) => Object.values(row)[0])).toEqual(
        expect.arrayContaining(['users', 'sessions']),
      );
    } finally {
      await connection.end();
    }
  });

  it('fail loudly on a broken migrations folder', async () => {
    await expect(migrateDatabase(testDb.url, '/nonexistent/migrations')).rejects.toThrow();
  });
});
