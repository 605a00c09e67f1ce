import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import mysql from 'mysql2/promise';
import * as schema from './schema.js';

export type Db = MySql2Database<typeof schema>;

export interface Database {
  db: Db;
  pool: mysql.Pool;
  /** True when the server answers a trivial query within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** A connection pool and its drizzle handle. The only place that opens pooled connections. */
export function createDatabase(url: string, options: { connectionLimit?: number } = {}): Database {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: options.connectionLimit ?? 10,
    connectTimeout: 5_000,
    // Store and read DATETIME as UTC, whatever the server's time zone.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
  });
  const db = drizzle(pool, { schema, mode: 'default' });
  return {
    db,
    pool,
    async ping(timeoutMs = 2_000) {
      try {
        await pool.query({ sql: 'SELECT 1', timeout: timeoutMs });
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
}
