/** Recovery codes: hashed rows, used once through an atomic compare-and-set. */
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from './client.js';
import { recoveryCodes } from './schema.js';

export type RecoveryCodeRow = typeof recoveryCodes.$inferSelect;

/** Replaces the user's codes with a new set (old ones stop working at once). */
export async function replaceRecoveryCodes(
  db: Db,
  userId: number,
  codes: readonly { number: number; codeHash: string }[],
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await tx.insert(recoveryCodes).values(
      codes.map((code) => ({
        userId,
        number: code.number,
        codeHash: code.codeHash,
        createdAt: now,
      })),
    );
  });
}

export async function unusedCodeNumbers(db: Db, userId: number): Promise<number[]> {
  const rows = await db
    .select({ number: recoveryCodes.number })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    .orderBy(recoveryCodes.number);
  return rows.map((row) => row.number);
}

/** The user's unused codes, by number. */
export async function unusedCodes(db: Db, userId: number): Promise<RecoveryCodeRow[]> {
  return db
    .select()
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    .orderBy(recoveryCodes.number);
}

export async function findUnusedCode(
  db: Db,
  userId: number,
  number: number,
): Promise<RecoveryCodeRow | undefined> {
  const rows = await db
    .select()
    .from(recoveryCodes)
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.number, number),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .limit(1);
  return rows[0];
}

/** Marks a code used; true for exactly one of any number of parallel callers (§5.1.2.2). */
export async function consumeCode(db: Db, id: number, now: Date): Promise<boolean> {
  const [result] = await db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.id, id), isNull(recoveryCodes.usedAt)));
  return result.affectedRows === 1;
}
