/**
 * The current session (NIST SP 800-63B §7.1, §7.2): who it is, a password reauthentication
 * that starts both clocks again, signing out here or everywhere, and the account's sessions,
 * each of which but this one may be ended.
 *
 * A listed session's id is a digest of its row key, not the key itself (which is the SHA-256
 * of the token): showing it reveals nothing usable, and only the owner's sessions match.
 */
import { createHash } from 'node:crypto';
import { logSecurityEvent } from '../../db/security-event-store.js';
import { userSessions } from '../../db/session-store.js';
import { findUserById } from '../../db/user-store.js';
import type { AccountLocked } from '../account-failures.js';
import type { RequestInfo } from '../attempts.js';
import type { AuthContexts } from '../auth-contexts.js';
import { checkCurrentPassword } from '../password-check.js';
import { sessionState } from '../session-policy.js';
import { type ActiveSession, endSessions, endUserSessions, extendSession } from '../sessions.js';

export type SessionFlowContext = Pick<
  AuthContexts,
  'store' | 'sessions' | 'failures' | 'passwords'
>;

/** The session's user is gone. */
export type NotSignedIn = { kind: 'not_signed_in' };

/** The id a session is listed under: a digest of its row key, never the key. */
function listedSessionId(idHash: string): string {
  return createHash('sha256').update(`listed session ${idHash}`).digest('base64url').slice(0, 22);
}

/** The signed-in user's name, for the session's answer. */
export async function currentSession(
  ctx: SessionFlowContext,
  session: ActiveSession,
): Promise<{ kind: 'ok'; username: string } | NotSignedIn> {
  const user = await findUserById(ctx.store.db, session.userId);
  return user ? { kind: 'ok', username: user.username } : { kind: 'not_signed_in' };
}

/** §7.2: the password again (weighed as at sign-in) restarts both clocks of the session. */
export async function reauthenticate(
  ctx: SessionFlowContext,
  session: ActiveSession,
  password: string,
  info: RequestInfo,
): Promise<
  { kind: 'ok'; endsAt: Date } | NotSignedIn | AccountLocked | { kind: 'password_wrong' }
> {
  const user = await findUserById(ctx.store.db, session.userId);
  if (!user) return { kind: 'not_signed_in' };
  const verdict = await checkCurrentPassword(
    ctx,
    user,
    password,
    info,
    'password (reauthentication)',
  );
  if (verdict === 'account_locked') return { kind: 'account_locked' };
  if (verdict === 'wrong') return { kind: 'password_wrong' };
  const endsAt = await extendSession(ctx.sessions, session);
  await logSecurityEvent(ctx.store.db, {
    userId: user.id,
    type: 'reauthenticated',
    now: ctx.store.clock.now(),
    ...info,
  });
  return { kind: 'ok', endsAt };
}

/** This session ends (its sockets close), logged. */
export async function signOut(
  ctx: SessionFlowContext,
  session: ActiveSession,
  info: RequestInfo,
): Promise<void> {
  await endSessions(ctx.sessions, [session.idHash], 'signed out');
  await logSecurityEvent(ctx.store.db, {
    userId: session.userId,
    type: 'signed_out',
    now: ctx.store.clock.now(),
    ...info,
  });
}

/** Every session of the account ends, logged. */
export async function signOutEverywhere(
  ctx: SessionFlowContext,
  session: ActiveSession,
  info: RequestInfo,
): Promise<void> {
  await endUserSessions(ctx.sessions, session.userId, 'signed out everywhere');
  await logSecurityEvent(ctx.store.db, {
    userId: session.userId,
    type: 'signed_out_everywhere',
    now: ctx.store.clock.now(),
    ...info,
  });
}

export interface ListedSession {
  id: string;
  userAgent: string;
  ip: string;
  createdAt: Date;
  lastActiveAt: Date;
  current: boolean;
}

/** The account's live sessions: browser, address, when made and last active, which is this. */
export async function listSessions(
  ctx: SessionFlowContext,
  session: ActiveSession,
): Promise<ListedSession[]> {
  const now = ctx.store.clock.now();
  const rows = (await userSessions(ctx.store.db, session.userId)).filter(
    (row) => sessionState(row, ctx.sessions.limits, now) === 'active',
  );
  return rows.map((row) => ({
    id: listedSessionId(row.idHash),
    userAgent: row.userAgent,
    ip: row.ip,
    createdAt: row.createdAt,
    lastActiveAt: row.lastActiveAt,
    current: row.idHash === session.idHash,
  }));
}

/** Another session of the account, by its listed id, ends (its next request is refused). */
export async function endOtherSession(
  ctx: SessionFlowContext,
  session: ActiveSession,
  id: string,
  info: RequestInfo,
): Promise<{ kind: 'ok' } | { kind: 'session_gone' } | { kind: 'current_session' }> {
  const target = (await userSessions(ctx.store.db, session.userId)).find(
    (row) => listedSessionId(row.idHash) === id,
  );
  if (!target) return { kind: 'session_gone' };
  if (target.idHash === session.idHash) return { kind: 'current_session' };
  await endSessions(ctx.sessions, [target.idHash], 'ended from another session');
  await logSecurityEvent(ctx.store.db, {
    userId: session.userId,
    type: 'session_ended',
    detail: `${target.ip}, ${target.userAgent.slice(0, 120)}`,
    now: ctx.store.clock.now(),
    ...info,
  });
  return { kind: 'ok' };
}
