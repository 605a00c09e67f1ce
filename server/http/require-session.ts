/**
 * Routes that need a signed-in user. The session cookie must name a live session of an allowed
 * kind; a state-changing request must also carry the session's anti-CSRF token in the
 * X-CSRF-Token header (the origin check runs before). A request marked
 * `X-Parley-Background: 1` (a poll the user did not initiate) does not count as activity.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { BACKGROUND_HEADER, CSRF_HEADER } from '../../contract/http.js';
import type { SessionContext } from '../auth/auth-contexts.js';
import { tokensEqual } from '../auth/secret-token.js';
import type { SessionKind } from '../auth/session-policy.js';
import { type ActiveSession, lookUpSession } from '../auth/sessions.js';
import { errorResponse } from './errors.js';
import { clearSessionCookie, readSessionCookie } from './session-cookie.js';

export type SessionEnv = {
  Variables: { clientIp: string; requestId: string; session: ActiveSession };
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requireSession(
  sessions: SessionContext,
  kinds: readonly SessionKind[],
): MiddlewareHandler<SessionEnv> {
  return async (c, next) => {
    const found = await lookUpSession(sessions, readSessionCookie(c), {
      activity: c.req.header(BACKGROUND_HEADER) !== '1',
    });
    if (!found.ok) return notSignedIn(c, found.reason);
    const { session } = found;
    if (!SAFE_METHODS.has(c.req.method)) {
      const token = c.req.header(CSRF_HEADER) ?? '';
      if (!tokensEqual(token, session.csrfToken)) {
        return errorResponse(c, 403, 'csrf_token_invalid');
      }
    }
    if (!kinds.includes(session.kind)) {
      return errorResponse(c, 403, 'session_restricted', restrictedMessage(session.kind), {
        kind: session.kind,
      });
    }
    c.set('session', session);
    return next();
  };
}

function restrictedMessage(kind: SessionKind): string {
  if (kind === 'rebind') return 'Register a new security key first.';
  if (kind === 'password_change') return 'Change your password first.';
  return 'This session may not do that.';
}

export function notSignedIn(c: Context, reason: 'missing' | 'expired') {
  if (reason === 'expired') {
    clearSessionCookie(c);
    return errorResponse(c, 401, 'session_expired');
  }
  return errorResponse(c, 401, 'not_signed_in');
}
