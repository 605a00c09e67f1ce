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

/**
 * Counts one failed factor (§5.2.2), atomically, and locks the account when the count reaches
 * the threshold. Returns the new count and whether this failure locked it.
 */
export async function recordUserFailure(
  db: Db,
  userId: number,
  threshold: number,
  now: Date,
): Promise<{ failures: number; lockedNow: boolean }> {
  return db.transaction(async (tx) => {
    const before = await tx
      .select({ lockedAt: users.lockedAt })
      .from(users)
      .where(eq(users.id, userId))
      .for('update');
    // One statement in a fixed order: MySQL assigns SET items left to right, each seeing the
    // values assigned before it (drizzle's .set() would order them by column).
    await tx.execute(
      sql`UPDATE ${users} SET ${users.lockedAt} = IF(${users.lockedAt} IS NULL AND ${users.failedAttempts} + 1 >= ${threshold}, ${now}, ${users.lockedAt}), ${users.failedAttempts} = ${users.failedAttempts} + 1 WHERE ${users.id} = ${userId}`,
    );
    const after = await tx
      .select({ failures: users.failedAttempts, lockedAt: users.lockedAt })
      .from(users)
      .where(eq(users.id, userId));
    return {
      failures: after[0]?.failures ?? 0,
      lockedNow: before[0]?.lockedAt == null && after[0]?.lockedAt != null,
    };
  });
}

/** A full success: the consecutive-failure count starts again at zero. */
export async function resetUserFailures(db: Db, userId: number): Promise<void> {
  await db.update(users).set({ failedAttempts: 0 }).where(eq(users.id, userId));
}

/** Unlocking (security key + recovery code) clears both the count and the lock. */
export async function unlockUser(db: Db, userId: number): Promise<void> {
  await db.update(users).set({ failedAttempts: 0, lockedAt: null }).where(eq(users.id, userId));
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
