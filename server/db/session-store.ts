/** Sessions: rows keyed by the SHA-256 of the session token. */
import { desc, eq, lt, or } from 'drizzle-orm';
import type { Db } from './client.js';
import { sessions } from './schema.js';

export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(db: Db, row: SessionRow): Promise<void> {
  await db.insert(sessions).values(row);
}

export async function findSession(db: Db, idHash: string): Promise<SessionRow | undefined> {
  const rows = await db.select().from(sessions).where(eq(sessions.idHash, idHash)).limit(1);
  return rows[0];
}

export async function touchSession(db: Db, idHash: string, now: Date): Promise<void> {
  await db.update(sessions).set({ lastActiveAt: now }).where(eq(sessions.idHash, idHash));
}

/** A password reauthentication: both clocks start again (§7.2). */
export async function reauthenticateSession(db: Db, idHash: string, now: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ authenticatedAt: now, lastActiveAt: now })
    .where(eq(sessions.idHash, idHash));
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, idHash));
}

/** The user's sessions, the most recently active first. */
export async function userSessions(db: Db, userId: number): Promise<SessionRow[]> {
  return db
    .select()
    .from(sessions)
    .where(eq(sessions.userId, userId))
    .orderBy(desc(sessions.lastActiveAt));
}

/** Every session of the user. Returns the deleted id hashes. */
export async function deleteUserSessions(db: Db, userId: number): Promise<string[]> {
  const where = eq(sessions.userId, userId);
  const rows = await db.select({ idHash: sessions.idHash }).from(sessions).where(where);
  if (rows.length > 0) await db.delete(sessions).where(where);
  return rows.map((row) => row.idHash);
}

/** Housekeeping: sessions idle or past their absolute limit. */
export async function deleteSessionsOlderThan(
  db: Db,
  idleBefore: Date,
  authenticatedBefore: Date,
): Promise<void> {
  await db
    .delete(sessions)
    .where(
      or(lt(sessions.lastActiveAt, idleBefore), lt(sessions.authenticatedAt, authenticatedBefore)),
    );
}
