/**
 * Security keys. No function here changes a stored public key or credential id (§5.1.7.2);
 * removal only sets revoked_at, so the record of what was bound stays (§6.1).
 */
import { createHash } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from './client.js';
import { webauthnCredentials } from './schema.js';

export type CredentialRow = typeof webauthnCredentials.$inferSelect;

export function credentialIdHash(credentialId: string): string {
  return createHash('sha256').update(credentialId, 'utf8').digest('hex');
}

export interface NewCredentialRow {
  userId: number;
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  name: string;
  /** The registration's backup flags, as SimpleWebAuthn reports them. */
  deviceType?: 'singleDevice' | 'multiDevice';
  backedUp?: boolean;
  now: Date;
  ip: string;
  userAgent: string;
}

export async function insertCredential(db: Db, row: NewCredentialRow): Promise<number> {
  const [result] = await db.insert(webauthnCredentials).values({
    userId: row.userId,
    credentialId: row.credentialId,
    credentialIdHash: credentialIdHash(row.credentialId),
    publicKey: Buffer.from(row.publicKey).toString('base64url'),
    signCount: row.signCount,
    transports: row.transports.join(','),
    name: row.name,
    deviceType: row.deviceType ?? null,
    backedUp: row.backedUp === undefined ? null : row.backedUp ? 1 : 0,
    createdAt: row.now,
    createdIp: row.ip,
    createdUserAgent: row.userAgent,
  });
  return result.insertId;
}

/** The transports a key reported at registration (stored comma-separated). */
export function transportsOf(row: Pick<CredentialRow, 'transports'>): string[] {
  return row.transports ? row.transports.split(',') : [];
}

export async function activeCredentials(db: Db, userId: number): Promise<CredentialRow[]> {
  return db
    .select()
    .from(webauthnCredentials)
    .where(and(eq(webauthnCredentials.userId, userId), isNull(webauthnCredentials.revokedAt)))
    .orderBy(webauthnCredentials.id);
}

export async function allCredentials(db: Db, userId: number): Promise<CredentialRow[]> {
  return db
    .select()
    .from(webauthnCredentials)
    .where(eq(webauthnCredentials.userId, userId))
    .orderBy(webauthnCredentials.id);
}

export async function credentialExists(db: Db, credentialId: string): Promise<boolean> {
  const rows = await db
    .select({ id: webauthnCredentials.id })
    .from(webauthnCredentials)
    .where(eq(webauthnCredentials.credentialIdHash, credentialIdHash(credentialId)))
    .limit(1);
  return rows.length > 0;
}

/**
 * Records a successful assertion: the new counter, but only if the counter still holds the value
 * the verification saw (two parallel assertions cannot both pass the counter check).
 */
export async function recordCredentialUse(
  db: Db,
  id: number,
  expectedSignCount: number,
  newSignCount: number,
  now: Date,
): Promise<boolean> {
  const [result] = await db
    .update(webauthnCredentials)
    .set({ signCount: newSignCount, lastUsedAt: now })
    .where(
      and(
        eq(webauthnCredentials.id, id),
        eq(webauthnCredentials.signCount, expectedSignCount),
        isNull(webauthnCredentials.revokedAt),
      ),
    );
  return result.affectedRows === 1;
}

/** Renames one of the user's active keys (the name is the only field a user may change). */
export async function renameCredential(
  db: Db,
  userId: number,
  id: number,
  name: string,
): Promise<boolean> {
  const [result] = await db
    .update(webauthnCredentials)
    .set({ name })
    .where(
      and(
        eq(webauthnCredentials.id, id),
        eq(webauthnCredentials.userId, userId),
        isNull(webauthnCredentials.revokedAt),
      ),
    );
  return result.affectedRows === 1;
}
