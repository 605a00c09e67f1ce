/**
 * What the HTTP API's two halves must agree on besides error codes: the request headers the
 * server reads, and the session kinds and the session answer the pages act on.
 */

/** The session's CSRF token, sent on every state-changing request. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * `1` on a request the user did not initiate (a re-read after a reconnect): the server does not
 * count it as session activity.
 */
export const BACKGROUND_HEADER = 'x-parley-background';

/**
 * What a session may do: `full` (AAL2), `rebind` (signed in with a recovery code: may only
 * register a new security key), `password_change` (must change its password first).
 */
export const SESSION_KINDS = ['full', 'rebind', 'password_change'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

/** The signed-in session as the API answers it (GET /api/session, and every sign-in's end). */
export interface SessionBody {
  username: string;
  kind: SessionKind;
  csrfToken: string;
  /** ISO 8601: when the session ends at the latest. */
  endsAt: string;
}

/** One recovery code as shown once at sign-up or re-binding. */
export interface RecoveryCode {
  number: number;
  code: string;
}
