/** A session's answer: its cookie set after the last factor, and what the page needs. */
import type { Context } from 'hono';
import type { SessionBody } from '../../../contract/http.js';
import type { SessionKind } from '../../auth/session-policy.js';
import type { StartedSession } from '../../auth/sessions.js';
import { writeSessionCookie } from '../../http/session-cookie.js';

/** A session a flow started: its cookie set, and what the page needs. */
export function sessionAnswer(c: Context, username: string, started: StartedSession): SessionBody {
  writeSessionCookie(c, started.token);
  return sessionBody(username, started.session);
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
