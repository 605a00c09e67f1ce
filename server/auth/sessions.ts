/**
 * The session lifecycle (NIST SP 800-63B §7.1, §4.2.3): a 32-byte token made right after the
 * last factor, only its SHA-256 stored; idle and absolute limits checked on every use; an
 * ended session's row deleted and its live sockets closed.
 */
import {
  deleteSession,
  deleteUserSessions,
  findSession,
  insertSession,
  reauthenticateSession,
  type SessionRow,
  touchSession,
} from '../db/session-store.js';
import type { SessionContext } from './auth-contexts.js';
import { hashToken, isWellFormedToken, newSecretToken } from './secret-token.js';
import { type SessionKind, sessionEndsAt, sessionState } from './session-policy.js';

export interface ActiveSession {
  idHash: string;
  userId: number;
  kind: SessionKind;
  csrfToken: string;
  authenticatedAt: Date;
  lastActiveAt: Date;
  endsAt: Date;
}

export interface StartedSession {
  token: string;
  session: ActiveSession;
}

function toActive(sessions: SessionContext, row: SessionRow): ActiveSession {
  return {
    idHash: row.idHash,
    userId: row.userId,
    kind: row.kind as SessionKind,
    csrfToken: row.csrfToken,
    authenticatedAt: row.authenticatedAt,
    lastActiveAt: row.lastActiveAt,
    endsAt: sessionEndsAt(row, sessions.limits),
  };
}

export async function startSession(
  sessions: SessionContext,
  input: {
    userId: number;
    kind: SessionKind;
    ip: string;
    userAgent: string;
    /** When a session replaces another (a new id after a change of kind), its auth time. */
    authenticatedAt?: Date;
  },
): Promise<StartedSession> {
  const token = newSecretToken(sessions.random);
  const now = sessions.clock.now();
  const row: SessionRow = {
    idHash: hashToken(token),
    userId: input.userId,
    kind: input.kind,
    csrfToken: newSecretToken(sessions.random),
    createdAt: now,
    authenticatedAt: input.authenticatedAt ?? now,
    lastActiveAt: now,
    ip: input.ip,
    userAgent: input.userAgent.slice(0, 255),
  };
  await insertSession(sessions.db, row);
  return { token, session: toActive(sessions, row) };
}

export type SessionLookup =
  | { ok: true; session: ActiveSession }
  | { ok: false; reason: 'missing' | 'expired' };

/**
 * The session a token names, if it is still within both limits. An expired one is deleted
 * (and its sockets closed). `activity` says whether this request is user-initiated: only
 * then does the idle clock start again.
 */
export async function lookUpSession(
  sessions: SessionContext,
  token: string | undefined,
  options: { activity: boolean },
): Promise<SessionLookup> {
  if (!token || !isWellFormedToken(token)) return { ok: false, reason: 'missing' };
  const idHash = hashToken(token);
  return lookUpSessionByHash(sessions, idHash, options);
}

export async function lookUpSessionByHash(
  sessions: SessionContext,
  idHash: string,
  options: { activity: boolean },
): Promise<SessionLookup> {
  const row = await findSession(sessions.db, idHash);
  if (!row) return { ok: false, reason: 'missing' };
  const now = sessions.clock.now();
  if (sessionState(row, sessions.limits, now) !== 'active') {
    await endSessions(sessions, [idHash], 'session expired');
    return { ok: false, reason: 'expired' };
  }
  if (options.activity) {
    await touchSession(sessions.db, idHash, now);
    row.lastActiveAt = now;
  }
  return { ok: true, session: toActive(sessions, row) };
}

/** §7.2: a password reauthentication before the session ends restarts both clocks. */
export async function extendSession(
  sessions: SessionContext,
  session: ActiveSession,
): Promise<Date> {
  const now = sessions.clock.now();
  await reauthenticateSession(sessions.db, session.idHash, now);
  return sessionEndsAt({ authenticatedAt: now, lastActiveAt: now }, sessions.limits);
}

export async function endSessions(
  sessions: SessionContext,
  idHashes: readonly string[],
  reason: string,
): Promise<void> {
  for (const idHash of idHashes) await deleteSession(sessions.db, idHash);
  sessions.liveSockets.closeSessions(idHashes, reason);
}

export async function endUserSessions(
  sessions: SessionContext,
  userId: number,
  reason: string,
): Promise<void> {
  const ended = await deleteUserSessions(sessions.db, userId);
  sessions.liveSockets.closeSessions(ended, reason);
}
