/** Authenticator apps (TOTP): sealed secrets, the last accepted step, revocation. */
import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from './client.js';
import { totpAuthenticators } from './schema.js';

export type TotpRow = typeof totpAuthenticators.$inferSelect;

export async function activeTotp(db: Db, userId: number): Promise<TotpRow | undefined> {
  const rows = await db
    .select()
    .from(totpAuthenticators)
    .where(and(eq(totpAuthenticators.userId, userId), isNull(totpAuthenticators.revokedAt)))
    .orderBy(desc(totpAuthenticators.id))
    .limit(1);
  return rows[0];
}

export interface NewTotp {
  userId: number;
  secretSealed: string;
  lastStep: number;
  now: Date;
  ip: string;
  userAgent: string;
}

const valuesOf = (row: NewTotp) => ({
  userId: row.userId,
  secretSealed: row.secretSealed,
  lastStep: row.lastStep,
  createdAt: row.now,
  createdIp: row.ip,
  createdUserAgent: row.userAgent,
});

export async function insertTotp(db: Db, row: NewTotp): Promise<void> {
  await db.insert(totpAuthenticators).values(valuesOf(row));
}

/**
 * Binds a new app in place of the active one, if any, in one transaction (a recovery-code
 * sign-in: the old app is the one that was lost). True when an app was revoked.
 */
export async function replaceTotp(db: Db, row: NewTotp): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(totpAuthenticators)
      .set({ revokedAt: row.now })
      .where(and(eq(totpAuthenticators.userId, row.userId), isNull(totpAuthenticators.revokedAt)));
    await tx.insert(totpAuthenticators).values(valuesOf(row));
    return revoked.affectedRows > 0;
  });
}

/**
 * Accepts time step `step` for this authenticator: true for exactly one caller, and only when
 * the step is later than the last accepted one (§5.1.4.2: a code is accepted once, even inside
 * its window, and parallel uses of one code cannot both win).
 */
export async function acceptTotpStep(
  db: Db,
  id: number,
  step: number,
  now: Date,
): Promise<boolean> {
  const [result] = await db
    .update(totpAuthenticators)
    .set({ lastStep: step, lastUsedAt: now })
    .where(
      and(
        eq(totpAuthenticators.id, id),
        isNull(totpAuthenticators.revokedAt),
        lt(totpAuthenticators.lastStep, step),
      ),
    );
  return result.affectedRows === 1;
}
