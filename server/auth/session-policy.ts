/**
 * When a session ends (NIST SP 800-63B §4.2.3): after 30 minutes without a user-initiated
 * request, or 12 hours after its last authentication, whichever comes first. Pure.
 */
import type { AuthSettings } from './auth-settings.js';

export type { SessionKind } from '../../contract/http.js';

export type SessionState = 'active' | 'idle_expired' | 'absolute_expired';

export interface SessionTimes {
  authenticatedAt: Date;
  lastActiveAt: Date;
}

export function sessionState(
  session: SessionTimes,
  settings: Pick<AuthSettings, 'sessionIdleMs' | 'sessionAbsoluteMs'>,
  now: Date,
): SessionState {
  if (now.getTime() - session.authenticatedAt.getTime() >= settings.sessionAbsoluteMs) {
    return 'absolute_expired';
  }
  if (now.getTime() - session.lastActiveAt.getTime() >= settings.sessionIdleMs) {
    return 'idle_expired';
  }
  return 'active';
}

/** The instant the session ends if nothing happens in between. */
export function sessionEndsAt(
  session: SessionTimes,
  settings: Pick<AuthSettings, 'sessionIdleMs' | 'sessionAbsoluteMs'>,
): Date {
  return new Date(
    Math.min(
      session.authenticatedAt.getTime() + settings.sessionAbsoluteMs,
      session.lastActiveAt.getTime() + settings.sessionIdleMs,
    ),
  );
}

/** §6.1.2.1: binding another authenticator needs an authentication this recent. */
export function recentlyAuthenticated(
  session: Pick<SessionTimes, 'authenticatedAt'>,
  settings: Pick<AuthSettings, 'recentAuthMs'>,
  now: Date,
): boolean {
  return now.getTime() - session.authenticatedAt.getTime() < settings.recentAuthMs;
}
