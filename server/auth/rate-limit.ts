/**
 * Rate-limit primitives (NIST SP 800-63B §5.2.2), pure with an injected clock: a token bucket
 * per key (client IP) with bounded memory, growing delays per account, and when to ask for a
 * CAPTCHA. The per-account failure count itself lives in the database (the caller's part).
 */
import type { Clock } from '../clock.js';

export interface TokenBucketOptions {
  capacity: number;
  refillPerSecond: number;
  /** Keys kept at most; past it the least recently used key is forgotten. Default 10 000. */
  maxKeys?: number;
}

export interface TokenBucketLimiter {
  take(key: string, cost?: number): { allowed: boolean; retryAfterSeconds: number };
  forget(key: string): void;
}

export function createTokenBucketLimiter(
  options: TokenBucketOptions,
  clock: Clock,
): TokenBucketLimiter {
  void options;
  void clock;
  throw new Error('createTokenBucketLimiter: not implemented yet');
}

/** After this many consecutive failures an account is locked (§5.2.2: at most 100). */
export const ACCOUNT_LOCKOUT_THRESHOLD = 100;

/** Failures (of the account or of the IP) from which a CAPTCHA is required at sign-in. */
export const CAPTCHA_AFTER_FAILURES = 3;

/**
 * How long to wait before answering the next attempt on an account with this many consecutive
 * failures: 0 for the first 3, then 1 s doubling to a cap of 30 s. The caller waits with a
 * timer, never blocking the event loop.
 */
export function accountFailureDelayMs(consecutiveFailures: number): number {
  void consecutiveFailures;
  throw new Error('accountFailureDelayMs: not implemented yet');
}

export function captchaRequired(accountFailures: number, ipFailures: number): boolean {
  void accountFailures;
  void ipFailures;
  throw new Error('captchaRequired: not implemented yet');
}
