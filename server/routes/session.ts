/**
 * The current session (the flow: server/auth/flows/session.ts; NIST SP 800-63B §7.1, §7.2).
 *
 *   GET  /api/session                     → who is signed in, the CSRF token, when it ends
 *   POST /api/session/reauth              { password } → both clocks start again
 *   POST /api/session/logout              → this session ends, the cookie is erased
 *   POST /api/session/logout-everywhere   → every session of the account ends
 *   GET  /api/session/list                → the account's sessions: browser, address, last
 *                                           active, which one is this
 *   POST /api/session/end                 { id } → that other session ends (its next request 401)
 */

import { Hono } from 'hono';
import { z } from 'zod';
import type { ReauthAnswer, SessionListAnswer } from '../../contract/answers.js';
import {
  currentSession,
  endOtherSession,
  listSessions,
  reauthenticate,
  type SessionFlowContext,
  signOut,
  signOutEverywhere,
} from '../auth/flows/session.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { requireSession, type SessionEnv } from '../http/require-session.js';
import { clearSessionCookie } from '../http/session-cookie.js';
import { readJsonBody } from '../http/validation.js';
import { requestInfo } from './auth/attempts.js';
import { passwordSchema } from './auth/bodies.js';
import { refusalError } from './auth/refusals.js';
import { sessionBody } from './auth/session-response.js';

const ALL_KINDS = ['full', 'rebind', 'password_change'] as const;

const notSignedIn = () => new HttpError(401, 'not_signed_in');

export function sessionRoutes(ctx: SessionFlowContext) {
  const app = new Hono<SessionEnv>();

  app.get('/api/session', requireSession(ctx.sessions, ALL_KINDS), async (c) => {
    const session = c.get('session');
    const result = await currentSession(ctx, session);
    if (result.kind !== 'ok') throw notSignedIn();
    noStore(c);
    return c.json(sessionBody(result.username, session));
  });

  app.post('/api/session/reauth', requireSession(ctx.sessions, ALL_KINDS), async (c) => {
    const { password } = await readJsonBody(c, z.object({ password: passwordSchema }).strict());
    const result = await reauthenticate(ctx, c.get('session'), password, requestInfo(c));
    if (result.kind === 'not_signed_in') throw notSignedIn();
    if (result.kind === 'account_locked') throw refusalError(result);
    if (result.kind === 'password_wrong') {
      throw new HttpError(401, 'reauth_failed', 'That password is not right.');
    }
    return c.json({ endsAt: result.endsAt.toISOString() } satisfies ReauthAnswer);
  });

  app.post('/api/session/logout', requireSession(ctx.sessions, ALL_KINDS), async (c) => {
    await signOut(ctx, c.get('session'), requestInfo(c));
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.get('/api/session/list', requireSession(ctx.sessions, ['full']), async (c) => {
    const sessions = await listSessions(ctx, c.get('session'));
    noStore(c);
    return c.json({
      sessions: sessions.map((listed) => ({
        ...listed,
        createdAt: listed.createdAt.toISOString(),
        lastActiveAt: listed.lastActiveAt.toISOString(),
      })),
    } satisfies SessionListAnswer);
  });

  app.post('/api/session/end', requireSession(ctx.sessions, ['full']), async (c) => {
    const { id } = await readJsonBody(c, z.object({ id: z.string().max(64) }).strict());
    const result = await endOtherSession(ctx, c.get('session'), id, requestInfo(c));
    if (result.kind === 'session_gone') {
      throw new HttpError(404, 'not_found', 'That session has already ended.');
    }
    if (result.kind === 'current_session') {
      throw new HttpError(409, 'current_session');
    }
    return c.body(null, 204);
  });

  app.post('/api/session/logout-everywhere', requireSession(ctx.sessions, ['full']), async (c) => {
    await signOutEverywhere(ctx, c.get('session'), requestInfo(c));
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}
