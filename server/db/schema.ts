/**
 * The database schema, in one place. drizzle-kit generates the migrations in db/migrations
 * from this file (`npm run db:generate`). Only types both MySQL 8.4 and MariaDB 10.11 accept.
 */
import { bigint, datetime, index, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';

export const users = mysqlTable(
  'users',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    /** As typed at sign-up; immutable. */
    username: varchar('username', { length: 32 }).notNull(),
    /** Lower-cased: case-insensitive uniqueness without relying on a collation. */
    usernameKey: varchar('username_key', { length: 32 }).notNull(),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (table) => [uniqueIndex('users_username_key_unique').on(table.usernameKey)],
);

export const sessions = mysqlTable(
  'sessions',
  {
    /** SHA-256 of the session token, hex: the token itself is never stored. */
    idHash: varchar('id_hash', { length: 64 }).primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
    lastActiveAt: datetime('last_active_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (table) => [index('sessions_user_id_idx').on(table.userId)],
);
