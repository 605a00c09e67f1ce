/** The per-account security event log (§6.1: what was bound, when, from where; failures). */
import { desc, eq } from 'drizzle-orm';
import type { Db } from './client.js';
import { securityEvents } from './schema.js';

export type SecurityEventType =
  | 'account_created'
  | 'sign_in'
  | 'sign_in_failed'
  | 'sign_in_with_recovery_code'
  | 'recovery_code_used'
  | 'recovery_codes_issued'
  | 'key_bound'
  | 'key_revoked'
  | 'key_renamed'
  | 'totp_bound'
  | 'totp_revoked'
  | 'session_ended'
  | 'account_locked'
  | 'account_unlocked'
  | 'unlock_failed'
  | 'password_changed'
  | 'password_compromised'
  | 'reauthenticated'
  | 'signed_out'
  | 'signed_out_everywhere';

export type SecurityEventRow = typeof securityEvents.$inferSelect;

export interface SecurityEventInput {
  userId: number;
  type: SecurityEventType;
  ip: string;
  userAgent: string;
  detail?: string;
  now: Date;
}

export async function logSecurityEvent(db: Db, event: SecurityEventInput): Promise<void> {
  await db.insert(securityEvents).values({
    userId: event.userId,
    type: event.type,
    ip: event.ip,
    userAgent: event.userAgent.slice(0, 255),
    detail: event.detail?.slice(0, 255) ?? null,
    createdAt: event.now,
  });
}

export async function recentSecurityEvents(
  db: Db,
  userId: number,
  limit = 50,
): Promise<SecurityEventRow[]> {
  return db
    .select()
    .from(securityEvents)
    .where(eq(securityEvents.userId, userId))
    .orderBy(desc(securityEvents.id))
    .limit(limit);
}
