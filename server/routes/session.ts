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
import type { AuthContexts } from '../auth/auth-contexts.js';
import { sessionState } from '../auth/session-policy.js';
import { endSessions, endUserSessions, extendSession } from '../auth/sessions.js';
import { logSecurityEvent } from '../db/security-event-store.js';
import { userSessions } from '../db/session-store.js';
import { findUserById } from '../db/user-store.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { requireSession, type SessionEnv } from '../http/require-session.js';
import { clearSessionCookie } from '../http/session-cookie.js';
import { readJsonBody } from '../http/validation.js';
import { requestInfo } from './auth/attempts.js';
import { passwordSchema } from './auth/bodies.js';
import { requireCurrentPassword } from './auth/password-check.js';
import { sessionBody } from './auth/session-response.js';

const ALL_KINDS = ['full', 'rebind', 'password_change'] as const;

/** The id a session is listed under: a digest of its row key, never the key. */
function listedSessionId(idHash: string): string {
  return createHash('sha256').update(`listed session ${idHash}`).digest('base64url').slice(0, 22);
}

export function sessionRoutes(ctx: AuthContexts) {
  const app = new Hono<SessionEnv>();

  app.get('/api/session', requireSession(ctx.sessions, ALL_KINDS), async (c) => {
    const session = c.get('session');
    const user = await findUserById(ctx.store.db, session.userId);
    if (!user) throw new HttpError(401, 'not_signed_in', 'Sign in to continue.');
    noStore(c);
    return c.json(sessionBody(user.username, session));
  });

  app.post('/api/session/reauth', requireSession(ctx.sessions, ALL_KINDS), async (c) => {
    const { password } = await readJsonBody(c, z.object({ password: passwordSchema }).strict());
    const session = c.get('session');
    const info = requestInfo(c);
    const user = await findUserById(ctx.store.db, session.userId);
    if (!user) throw new HttpError(401, 'not_signed_in', 'Sign in to continue.');
    await requireCurrentPassword(ctx, user, password, info, {
      factor: 'password (reauthentication)',
      message: 'That password is not right.',
    });
    const endsAt = await extendSession(ctx.sessions, session);
    await logSecurityEvent(ctx.store.db, {
      userId: user.id,
      type: 'reauthenticated',
      now: ctx.store.clock.now(),
      ...info,
    });
    return c.json({ endsAt: endsAt.toISOString() });
  });

  app.post('/api/session/logout', requireSession(ctx.sessions, ALL_KINDS), async (c) => {
    const session = c.get('session');
    await endSessions(ctx.sessions, [session.idHash], 'signed out');
    await logSecurityEvent(ctx.store.db, {
      userId: session.userId,
      type: 'signed_out',
      now: ctx.store.clock.now(),
      ...requestInfo(c),
    });
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.get('/api/session/list', requireSession(ctx.sessions, ['full']), async (c) => {
    const session = c.get('session');
    const now = ctx.store.clock.now();
    const rows = (await userSessions(ctx.store.db, session.userId)).filter(
      (row) => sessionState(row, ctx.sessions.limits, now) === 'active',
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

  app.post('/api/session/end', requireSession(ctx.sessions, ['full']), async (c) => {
    const { id } = await readJsonBody(c, z.object({ id: z.string().max(64) }).strict());
    const session = c.get('session');
    const target = (await userSessions(ctx.store.db, session.userId)).find(
      (row) => listedSessionId(row.idHash) === id,
    );
    if (!target) throw new HttpError(404, 'not_found', 'That session has already ended.');
    if (target.idHash === session.idHash) {
      throw new HttpError(409, 'current_session', 'To end this session, use Sign out.');
    }
    await endSessions(ctx.sessions, [target.idHash], 'ended from another session');
    await logSecurityEvent(ctx.store.db, {
      userId: session.userId,
      type: 'session_ended',
      detail: `${target.ip}, ${target.userAgent.slice(0, 120)}`,
      now: ctx.store.clock.now(),
      ...requestInfo(c),
    });
    return c.body(null, 204);
  });

  app.post('/api/session/logout-everywhere', requireSession(ctx.sessions, ['full']), async (c) => {
    const session = c.get('session');
    await endUserSessions(ctx.sessions, session.userId, 'signed out everywhere');
    await logSecurityEvent(ctx.store.db, {
      userId: session.userId,
      type: 'signed_out_everywhere',
      now: ctx.store.clock.now(),
      ...requestInfo(c),
    });
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}
