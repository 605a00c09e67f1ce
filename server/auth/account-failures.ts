/**
 * Counting failed factors (NIST SP 800-63B §5.2.2). A known account's count lives in the
 * database (a restart or a new IP does not reset it) and locks the account at 100; an unknown
 * username gets the same treatment in its try standing (try-standings.ts: in memory for one
 * instance, in Redis shared by several), so neither the CAPTCHA, the delays nor the lock
 * tell whether a username exists. Every failure also counts for the client IP.
 *
 * Each try is reserved before it is weighed (`reserveTry`): under a row lock on the user (or
 * by the try standing's atomic reservation for an unknown name) the count is read, the CAPTCHA and lock are
 * decided on it (`decideTry`), and one failure is added with the try's slot. The lock is
 * released at once: the wait and the hash happen after, holding no connection. Then
 * `settleFailure` (the reserved failure stands; the account locks when it reached 100) or
 * `settleSuccess` (the reservation is refunded). So parallel tries meet what sequential ones
 * meet, and a crash between reservation and settlement leaves the failure counted.
 */

import { logSecurityEvent } from '../db/security-event-store.js';
import {
  refundUserFailure,
  reserveUserTry,
  settleUserFailure,
  type UserRow,
} from '../db/user-store.js';
import type { FailureCounts } from './auth-contexts.js';
import type { CaptchaVerdict } from './captcha-verdict.js';
import { decideTry } from './factor-try.js';
import { ACCOUNT_LOCKOUT_THRESHOLD } from './rate-limit.js';
import type { TryStanding } from './try-standings.js';

export interface TryTarget {
  user: UserRow | undefined;
  usernameKey: string;
}

/** A reserved try: the failure it stands for is already counted. */
export interface TryTicket {
  userId: number | null;
  usernameKey: string;
  failuresBefore: number;
  /** How long to wait before weighing the factor (the growing delay, queued per account). */
  waitMs: number;
}

export type TryReservation =
  | { kind: 'reserved'; ticket: TryTicket }
  | { kind: 'locked' }
  | { kind: 'captcha'; verdict: Exclude<CaptchaVerdict, 'ok'> };

export async function reserveTry(
  failures: FailureCounts,
  target: TryTarget,
  ip: string,
  rules: { captcha: CaptchaVerdict | 'not_asked'; paced: boolean },
): Promise<TryReservation> {
  const nowMs = failures.clock.now().getTime();
  const fullRules = { ...rules, delayScale: failures.delayScale };
  const ipFailures = failures.ipFailures.count(ip);
  if (!target.user) {
    // Read, decided and recorded with nothing in between, on every instance sharing the store.
    const key = target.usernameKey;
    return failures.unknownAccounts.reserve(
      key,
      (
        standing,
      ): {
        result: TryReservation;
        next?: TryStanding;
      } => {
        const decision = decideTry(
          {
            failures: standing.failures,
            lockedFlag: false,
            ipFailures,
            lastSlotMs: standing.lastSlotMs,
          },
          fullRules,
          nowMs,
        );
        if (decision.kind !== 'go') return { result: decision };
        return {
          result: {
            kind: 'reserved',
            ticket: {
              userId: null,
              usernameKey: key,
              failuresBefore: decision.failuresBefore,
              waitMs: decision.slotMs - nowMs,
            },
          },
          next: {
            failures: standing.failures + 1,
            lastSlotMs: rules.paced ? decision.slotMs : standing.lastSlotMs,
          },
        };
      },
    );
  }
  const decision = await reserveUserTry(failures.db, target.user.id, (row) =>
    decideTry(
      {
        failures: row.failedAttempts,
        lockedFlag: row.lockedAt !== null,
        ipFailures,
        lastSlotMs: rules.paced ? (row.nextAttemptAt?.getTime() ?? null) : null,
      },
      fullRules,
      nowMs,
    ),
  );
  if (decision.kind !== 'go') return decision;
  return {
    kind: 'reserved',
    ticket: {
      userId: target.user.id,
      usernameKey: target.usernameKey,
      failuresBefore: decision.failuresBefore,
      waitMs: decision.slotMs - nowMs,
    },
  };
}

/** The reserved try failed: its failure stands, for the IP too; the account locks at 100. */
export async function settleFailure(
  failures: FailureCounts,
  ticket: TryTicket,
  info: { ip: string; userAgent: string },
  factor: string,
): Promise<void> {
  failures.ipFailures.add(info.ip);
  if (ticket.userId === null) return;
  const userId = ticket.userId;
  const now = failures.clock.now();
  const result = await settleUserFailure(failures.db, userId, ACCOUNT_LOCKOUT_THRESHOLD, now);
  await logSecurityEvent(failures.db, {
    userId,
    type: 'sign_in_failed',
    detail: `${factor}; ${ticket.failuresBefore + 1} in a row`,
    now,
    ...info,
  });
  if (result.lockedNow) {
    await logSecurityEvent(failures.db, {
      userId,
      type: 'account_locked',
      detail: `${result.failures} failed attempts`,
      now,
      ...info,
    });
    failures.logger.warn('account locked', { userId, failures: result.failures });
  }
}

/**
 * The reserved try succeeded: its failure is taken back (a right password alone does not reset
 * the count; a full sign-in does). An unknown name never succeeds.
 */
export async function settleSuccess(failures: FailureCounts, ticket: TryTicket): Promise<void> {
  if (ticket.userId !== null) await refundUserFailure(failures.db, ticket.userId);
}

/** The account is locked (100 failures in a row): only the unlock flow leads on. */
export type AccountLocked = { kind: 'account_locked' };
