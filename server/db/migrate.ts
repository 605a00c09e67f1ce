import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';

const MIGRATION_LOCK = 'parley_migrations';

/** The database name in a mysql:// URL, checked to be a plain identifier. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) {
    throw new Error('DATABASE_URL must name a database of letters, digits and underscores');
  }
  return name;
}

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const serverUrl = new URL(url);
  serverUrl.pathname = '/';
  const connection = await mysql.createConnection({
    uri: serverUrl.toString(),
    connectTimeout: 5_000,
  });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await connection.end();
  }
}

/**
 * Applies the pending migrations of db/migrations under a MySQL named lock, so two instances
 * starting together cannot both run them.
 */
export async function migrateDatabase(
  url: string,
  migrationsFolder: string,
  lockTimeoutSeconds = 60,
): Promise<void> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 5_000 });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT GET_LOCK(?, ?) AS acquired',
      [MIGRATION_LOCK, lockTimeoutSeconds],
    );
    if (rows[0]?.acquired !== 1) {
      throw new Error(`Could not take the migration lock within ${lockTimeoutSeconds} s`);
    }
    try {
      await migrate(drizzle(connection), { migrationsFolder });
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]);
    }
  } finally {
    await connection.end();
  }
}
