/**
 * The current session (NIST SP 800-63B §7.1, §7.2).
 *
 *   GET  /api/session                     → who is signed in, the CSRF token, when it ends
 *   POST /api/session/reauth              { password } → both clocks start again
 *   POST /api/session/logout              → this session ends, the cookie is erased
 *   POST /api/session/logout-everywhere   → every session of the account ends
 *   GET  /api/session/list                → the account's sessions: browser, address, last
 *                                           active, which one is this
 *   POST /api/session/end                 { id } → that other session ends (its next request 401)
 *
 * A listed session's id is a digest of its row key, not the key itself (which is the SHA-256
 * of the token): showing it reveals nothing usable, and only the owner's sessions match.
 */

import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthRuntime } from '../auth/auth-runtime.js';
import { sessionState } from '../auth/session-policy.js';
import { endSessions, endUserSessions, extendSession } from '../auth/sessions.js';
import { logSecurityEvent } from '../db/security-event-store.js';
import { userSessions } from '../db/session-store.js';
import { findUserById } from '../db/user-store.js';
import { HttpError } from '../http/errors.js';
import { requireSession, type SessionEnv } from '../http/require-session.js';
import { clearSessionCookie } from '../http/session-cookie.js';
import { readJsonBody } from '../http/validation.js';
import {
  checkCurrentPassword,
  noStore,
  passwordSchema,
  requestInfo,
  sessionBody,
} from './auth-common.js';

const ALL_KINDS = ['full', 'rebind', 'password_change'] as const;

/** The id a session is listed under: a digest of its row key, never the key. */
function listedSessionId(idHash: string): string {
  return createHash('sha256').update(`listed session ${idHash}`).digest('base64url').slice(0, 22);
}

export function sessionRoutes(rt: AuthRuntime) {
  const app = new Hono<SessionEnv>();

  app.get('/api/session', requireSession(rt, ALL_KINDS), async (c) => {
    const session = c.get('session');
    const user = await findUserById(rt.db, session.userId);
    if (!user) throw new HttpError(401, 'not_signed_in', 'Sign in to continue.');
    noStore(c);
    return c.json(sessionBody(user.username, session));
  });

  app.post('/api/session/reauth', requireSession(rt, ALL_KINDS), async (c) => {
    const { password } = await readJsonBody(c, z.object({ password: passwordSchema }).strict());
    const session = c.get('session');
    const info = requestInfo(c);
    const user = await findUserById(rt.db, session.userId);
    if (!user) throw new HttpError(401, 'not_signed_in', 'Sign in to continue.');
    await checkCurrentPassword(rt, user, password, info, {
      factor: 'password (reauthentication)',
      message: 'That password is not right.',
    });
    const endsAt = await extendSession(rt, session);
    await logSecurityEvent(rt.db, {
      userId: user.id,
      type: 'reauthenticated',
      now: rt.clock.now(),
      ...info,
    });
    return c.json({ endsAt: endsAt.toISOString() });
  });

  app.post('/api/session/logout', requireSession(rt, ALL_KINDS), async (c) => {
    const session = c.get('session');
    await endSessions(rt, [session.idHash], 'signed out');
    await logSecurityEvent(rt.db, {
      userId: session.userId,
      type: 'signed_out',
      now: rt.clock.now(),
      ...requestInfo(c),
    });
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.get('/api/session/list', requireSession(rt, ['full']), async (c) => {
    const session = c.get('session');
    const now = rt.clock.now();
    const rows = (await userSessions(rt.db, session.userId)).filter(
      (row) => sessionState(row, rt.settings, now) === 'active',
    );
    noStore(c);
    return c.json({
      sessions: rows.map((row) => ({
        id: listedSessionId(row.idHash),
        userAgent: row.userAgent,
        ip: row.ip,
        createdAt: row.createdAt.toISOString(),
        lastActiveAt: row.lastActiveAt.toISOString(),
        current: row.idHash === session.idHash,
      })),
    });
  });

  app.post('/api/session/end', requireSession(rt, ['full']), async (c) => {
    const { id } = await readJsonBody(c, z.object({ id: z.string().max(64) }).strict());
    const session = c.get('session');
    const target = (await userSessions(rt.db, session.userId)).find(
      (row) => listedSessionId(row.idHash) === id,
    );
    if (!target) throw new HttpError(404, 'not_found', 'That session has already ended.');
    if (target.idHash === session.idHash) {
      throw new HttpError(409, 'current_session', 'To end this session, use Sign out.');
    }
    await endSessions(rt, [target.idHash], 'ended from another session');
    await logSecurityEvent(rt.db, {
      userId: session.userId,
      type: 'session_ended',
      detail: `${target.ip}, ${target.userAgent.slice(0, 120)}`,
      now: rt.clock.now(),
      ...requestInfo(c),
    });
    return c.body(null, 204);
  });

  app.post('/api/session/logout-everywhere', requireSession(rt, ['full']), async (c) => {
    const session = c.get('session');
    await endUserSessions(rt, session.userId, 'signed out everywhere');
    await logSecurityEvent(rt.db, {
      userId: session.userId,
      type: 'signed_out_everywhere',
      now: rt.clock.now(),
      ...requestInfo(c),
    });
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}
