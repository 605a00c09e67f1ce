/** Starting a session after the last factor, and answering what the page needs. */
import type { Context } from 'hono';
import type { SessionBody } from '../../../contract/http.js';
import type { SessionContext } from '../../auth/auth-contexts.js';
import type { SessionKind } from '../../auth/session-policy.js';
import { type StartedSession, startSession } from '../../auth/sessions.js';
import { writeSessionCookie } from '../../http/session-cookie.js';
import { requestInfo } from './attempts.js';

/** A session a flow started: its cookie set, and what the page needs. */
export function sessionAnswer(c: Context, username: string, started: StartedSession): SessionBody {
  writeSessionCookie(c, started.token);
  return sessionBody(username, started.session);
}

/** Starts a session for the user, sets its cookie, and says what the page needs. */
export async function startSessionResponse(
  sessions: SessionContext,
  c: Context,
  user: { id: number; username: string },
  kind: SessionKind,
  authenticatedAt?: Date,
): Promise<{ started: StartedSession; body: SessionBody }> {
  const started = await startSession(sessions, {
    userId: user.id,
    kind,
    ...requestInfo(c),
    ...(authenticatedAt ? { authenticatedAt } : {}),
  });
  writeSessionCookie(c, started.token);
  return { started, body: sessionBody(user.username, started.session) };
}

export type { SessionBody };

export function sessionBody(
  username: string,
  session: { kind: SessionKind; csrfToken: string; endsAt: Date },
): SessionBody {
  return {
    username,
    kind: session.kind,
    csrfToken: session.csrfToken,
    endsAt: session.endsAt.toISOString(),
  };
}
