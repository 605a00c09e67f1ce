/** Pending sign-ups, sign-ins and unlocks, keyed by the SHA-256 of their secret. */
import { and, eq, lt } from 'drizzle-orm';
import type { Db } from './client.js';
import { authAttempts } from './schema.js';

export type AttemptRow = typeof authAttempts.$inferSelect;
export type AttemptKind = 'signup' | 'signin' | 'unlock' | 'bind';
export type AttemptUpdate = Partial<Omit<AttemptRow, 'idHash' | 'kind' | 'createdAt'>>;

export async function insertAttempt(db: Db, row: AttemptRow): Promise<void> {
  await db.insert(authAttempts).values(row);
}

/** The attempt, when it exists, is of one of these kinds and has not expired. */
export async function findLiveAttempt(
  db: Db,
  idHash: string,
  kinds: readonly AttemptKind[],
  now: Date,
): Promise<AttemptRow | undefined> {
  const rows = await db.select().from(authAttempts).where(eq(authAttempts.idHash, idHash)).limit(1);
  const row = rows[0];
  if (!row || !kinds.includes(row.kind as AttemptKind)) return undefined;
  if (row.expiresAt.getTime() <= now.getTime()) return undefined;
  return row;
}

export async function updateAttempt(db: Db, idHash: string, update: AttemptUpdate): Promise<void> {
  await db.update(authAttempts).set(update).where(eq(authAttempts.idHash, idHash));
}

/**
 * Takes the attempt's WebAuthn challenge for one verification: true for exactly one caller,
 * so a challenge is single use even under parallel requests.
 */
export async function takeChallenge(db: Db, idHash: string, challenge: string): Promise<boolean> {
  const [result] = await db
    .update(authAttempts)
    .set({ challenge: null, challengeExpiresAt: null })
    .where(and(eq(authAttempts.idHash, idHash), eq(authAttempts.challenge, challenge)));
  return result.affectedRows === 1;
}

/** Takes the attempt's CAPTCHA for one comparison: single use, whatever the answer. */
export async function takeCaptcha(db: Db, idHash: string, captchaHash: string): Promise<boolean> {
  const [result] = await db
    .update(authAttempts)
    .set({ captchaHash: null, captchaExpiresAt: null })
    .where(and(eq(authAttempts.idHash, idHash), eq(authAttempts.captchaHash, captchaHash)));
  return result.affectedRows === 1;
}

export async function deleteAttempt(db: Db, idHash: string): Promise<boolean> {
  const [result] = await db.delete(authAttempts).where(eq(authAttempts.idHash, idHash));
  return result.affectedRows === 1;
}

export async function deleteExpiredAttempts(db: Db, now: Date): Promise<void> {
  await db.delete(authAttempts).where(lt(authAttempts.expiresAt, now));
}
