/**
 * Whether one more try of a factor may be weighed on an account, and when (NIST SP 800-63B
 * §5.2.2). Pure: the caller reads the account's standing under a lock (or, for an unknown
 * username, synchronously in memory), asks `decideTry`, and on 'go' records the reservation
 * (one more failure, and the slot) before releasing the lock. So parallel tries are decided
 * one at a time, on the count the earlier ones left, exactly as for a sequential attacker.
 */
import type { CaptchaVerdict } from './captcha-verdict.js';
import { ACCOUNT_LOCKOUT_THRESHOLD, accountFailureDelayMs, captchaRequired } from './rate-limit.js';

export interface TryStanding {
  /** Consecutive failures recorded (reserved tries included). */
  failures: number;
  /** The account was locked (locked_at set), whatever the count. */
  lockedFlag: boolean;
  /** Failures of the client IP since its last success. */
  ipFailures: number;
  /** The instant the account's latest reserved try is weighed at (ms), or null. */
  lastSlotMs: number | null;
}

export interface TryRules {
  /** Password steps at sign-in ask for a CAPTCHA after 3 failures; other factors do not. */
  captcha: CaptchaVerdict | 'not_asked';
  /** Password tries wait for the growing delay; second factors are paced by the password step. */
  paced: boolean;
  /** Multiplies the delays (1 in production). */
  delayScale: number;
}

export type TryDecision =
  | { kind: 'locked' }
  | { kind: 'captcha'; verdict: Exclude<CaptchaVerdict, 'ok'> }
  | {
      kind: 'go';
      failuresBefore: number;
      /**
       * When the try is weighed. Paced: the previous reserved try's slot (or now) plus the
       * delay of this failure count, so a burst waits as long in all as one attacker waiting
       * for each answer. Not paced: now.
       */
      slotMs: number;
    };

export function isLocked(standing: Pick<TryStanding, 'failures' | 'lockedFlag'>): boolean {
  return standing.lockedFlag || standing.failures >= ACCOUNT_LOCKOUT_THRESHOLD;
}

export function decideTry(standing: TryStanding, rules: TryRules, nowMs: number): TryDecision {
  if (rules.captcha !== 'not_asked' && captchaRequired(standing.failures, standing.ipFailures)) {
    // Asked before the lock is told, as before: a wrong CAPTCHA says nothing more.
    if (rules.captcha !== 'ok') return { kind: 'captcha', verdict: rules.captcha };
  }
  if (isLocked(standing)) return { kind: 'locked' };
  const delayMs = rules.paced ? accountFailureDelayMs(standing.failures) * rules.delayScale : 0;
  const slotMs = rules.paced ? Math.max(nowMs, standing.lastSlotMs ?? nowMs) + delayMs : nowMs;
  return { kind: 'go', failuresBefore: standing.failures, slotMs };
}
