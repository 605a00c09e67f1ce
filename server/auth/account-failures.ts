/**
 * Counting failed factors (NIST SP 800-63B §5.2.2). A known account's count lives in the
 * database (a restart or a new IP does not reset it) and locks the account at 100; an unknown
 * username gets the same treatment in memory, so neither the CAPTCHA, the delays nor the lock
 * tell whether a username exists. Every failure also counts for the client IP.
 */

import { logSecurityEvent } from '../db/security-event-store.js';
import type { UserRow } from '../db/user-store.js';
import { recordUserFailure } from '../db/user-store.js';
import type { AuthRuntime } from './auth-runtime.js';
import { ACCOUNT_LOCKOUT_THRESHOLD, accountFailureDelayMs, captchaRequired } from './rate-limit.js';

export interface AccountStanding {
  failures: number;
  locked: boolean;
  captchaRequired: boolean;
  delayMs: number;
}

export function accountStanding(
  rt: AuthRuntime,
  user: UserRow | undefined,
  usernameKey: string,
  ip: string,
): AccountStanding {
  const failures = user ? user.failedAttempts : rt.unknownAccountFailures.count(usernameKey);
  const locked = user
    ? user.lockedAt !== null || user.failedAttempts >= ACCOUNT_LOCKOUT_THRESHOLD
    : failures >= ACCOUNT_LOCKOUT_THRESHOLD;
  return {
    failures,
    locked,
    captchaRequired: captchaRequired(failures, rt.ipFailures.count(ip)),
    delayMs: accountFailureDelayMs(failures) * rt.settings.failureDelayScale,
  };
}

/** One failed factor: counted for the account (or unknown name) and the IP, and logged. */
export async function recordFailure(
  rt: AuthRuntime,
  target: { user: UserRow | undefined; usernameKey: string },
  info: { ip: string; userAgent: string },
  factor: string,
): Promise<void> {
  rt.ipFailures.add(info.ip);
  if (!target.user) {
    rt.unknownAccountFailures.add(target.usernameKey);
    return;
  }
  const now = rt.clock.now();
  const result = await recordUserFailure(rt.db, target.user.id, ACCOUNT_LOCKOUT_THRESHOLD, now);
  await logSecurityEvent(rt.db, {
    userId: target.user.id,
    type: 'sign_in_failed',
    detail: `${factor}; ${result.failures} in a row`,
    now,
    ...info,
  });
  if (result.lockedNow) {
    await logSecurityEvent(rt.db, {
      userId: target.user.id,
      type: 'account_locked',
      detail: `${result.failures} failed attempts`,
      now,
      ...info,
    });
    rt.logger.warn('account locked', { userId: target.user.id, failures: result.failures });
  }
}
