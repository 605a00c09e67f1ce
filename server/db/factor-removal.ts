/**
 * Removing a second factor (a security key or the authenticator app), never the last one: the
 * user's row is locked first, so two parallel removals cannot each see the other factor still
 * there and leave the account with none. The rows stay, with revoked_at (§6.1).
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { totpAuthenticators, users, webauthnCredentials } from './schema.js';

export type RemovalOutcome = 'revoked' | 'not_found' | 'last_factor';

export async function removeFactor(
  db: Db,
  userId: number,
  factor: { kind: 'key'; id: number } | { kind: 'totp' },
  now: Date,
): Promise<RemovalOutcome> {
  return db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
    const keys = await tx
      .select({ id: webauthnCredentials.id })
      .from(webauthnCredentials)
      .where(and(eq(webauthnCredentials.userId, userId), isNull(webauthnCredentials.revokedAt)));
    const apps = await tx
      .select({ id: totpAuthenticators.id })
      .from(totpAuthenticators)
      .where(and(eq(totpAuthenticators.userId, userId), isNull(totpAuthenticators.revokedAt)));
    const present =
      factor.kind === 'key' ? keys.some((row) => row.id === factor.id) : apps.length > 0;
    if (!present) return 'not_found';
    if (keys.length + (apps.length > 0 ? 1 : 0) <= 1) return 'last_factor';
    if (factor.kind === 'key') {
      await tx
        .update(webauthnCredentials)
        .set({ revokedAt: sql`${now}` })
        .where(and(eq(webauthnCredentials.id, factor.id), eq(webauthnCredentials.userId, userId)));
    } else {
      await tx
        .update(totpAuthenticators)
        .set({ revokedAt: now })
        .where(and(eq(totpAuthenticators.userId, userId), isNull(totpAuthenticators.revokedAt)));
    }
    return 'revoked';
  });
}
