/** Users: plain functions taking the database first. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { users } from './schema.js';

export type UserRow = typeof users.$inferSelect;

export async function findUserByKey(db: Db, usernameKey: string): Promise<UserRow | undefined> {
  const rows = await db.select().from(users).where(eq(users.usernameKey, usernameKey)).limit(1);
  return rows[0];
}

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return rows[0];
}

export async function insertUser(
  db: Db,
  user: { username: string; usernameKey: string; passwordHash: string; now: Date },
): Promise<number> {
  const [result] = await db.insert(users).values({
    username: user.username,
    usernameKey: user.usernameKey,
    passwordHash: user.passwordHash,
    passwordChangedAt: user.now,
    createdAt: user.now,
  });
  return result.insertId;
}

/** What a try reservation reads of the account, under its row lock. */
export interface TryRow {
  failedAttempts: number;
  lockedAt: Date | null;
  nextAttemptAt: Date | null;
}

/**
 * Reserves one try on the account (§5.2.2): in one short transaction, the user's row is locked
 * (`SELECT … FOR UPDATE`), `decide` weighs its count, and on 'go' the count grows by one and
 * the slot is stored. Parallel reservations on one account queue on the row lock, each seeing
 * the count the previous one left; the lock is held for these three statements only, never
 * during the caller's delay or hash, so a burst holds at most one waiting connection per
 * request for milliseconds, not the pool for the length of the delays.
 */
export async function reserveUserTry<D extends { kind: string; slotMs?: number }>(
  db: Db,
  userId: number,
  decide: (row: TryRow) => D,
): Promise<D> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({
        failedAttempts: users.failedAttempts,
        lockedAt: users.lockedAt,
        nextAttemptAt: users.nextAttemptAt,
      })
      .from(users)
      .where(eq(users.id, userId))
      .for('update');
    if (!row) throw new Error(`user ${userId} vanished during a sign-in`);
    const decision = decide(row);
    if (decision.kind !== 'go') return decision;
    const slot = decision.slotMs === undefined ? null : new Date(decision.slotMs);
    await tx
      .update(users)
      .set({
        failedAttempts: sql`${users.failedAttempts} + 1`,
        ...(slot && (!row.nextAttemptAt || slot > row.nextAttemptAt)
          ? { nextAttemptAt: slot }
          : {}),
      })
      .where(eq(users.id, userId));
    return decision;
  });
}

/**
 * A reserved try failed: its failure stays counted, and the account locks when the count has
 * reached the threshold. Returns the count and whether this failure locked it.
 */
export async function settleUserFailure(
  db: Db,
  userId: number,
  threshold: number,
  now: Date,
): Promise<{ failures: number; lockedNow: boolean }> {
  const [result] = await db.execute(
    sql`UPDATE ${users} SET ${users.lockedAt} = ${now} WHERE ${users.id} = ${userId} AND ${users.lockedAt} IS NULL AND ${users.failedAttempts} >= ${threshold}`,
  );
  const [after] = await db
    .select({ failures: users.failedAttempts })
    .from(users)
    .where(eq(users.id, userId));
  return {
    failures: after?.failures ?? 0,
    lockedNow: (result as unknown as { affectedRows: number }).affectedRows === 1,
  };
}

/** A reserved try succeeded: the failure it counted is taken back. */
export async function refundUserFailure(db: Db, userId: number): Promise<void> {
  await db.execute(
    sql`UPDATE ${users} SET ${users.failedAttempts} = IF(${users.failedAttempts} > 0, ${users.failedAttempts} - 1, 0) WHERE ${users.id} = ${userId}`,
  );
}

/**
 * A full success: the consecutive-failure count starts again at zero, and so does the queue of
 * delayed tries (a burst's far slot must not hold the next sign-in).
 */
export async function resetUserFailures(db: Db, userId: number): Promise<void> {
  await db
    .update(users)
    .set({ failedAttempts: 0, nextAttemptAt: null })
    .where(eq(users.id, userId));
}

/** Unlocking clears the count, the queue of delayed tries and the lock. */
export async function unlockUser(db: Db, userId: number): Promise<void> {
  await db
    .update(users)
    .set({ failedAttempts: 0, nextAttemptAt: null, lockedAt: null })
    .where(eq(users.id, userId));
}

export async function setPasswordHash(
  db: Db,
  userId: number,
  passwordHash: string,
  options: { changedAt?: Date } = {},
): Promise<void> {
  await db
    .update(users)
    .set({
      passwordHash,
      ...(options.changedAt
        ? { passwordChangedAt: options.changedAt, passwordCompromisedAt: null }
        : {}),
    })
    .where(eq(users.id, userId));
}

export async function markPasswordCompromised(db: Db, userId: number, now: Date): Promise<void> {
  await db.update(users).set({ passwordCompromisedAt: now }).where(eq(users.id, userId));
}
