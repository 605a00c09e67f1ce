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

export interface BucketVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

/** Buckets by key: in this process (below), or shared by every instance (server/cluster/). */
export interface TokenBucketLimiter {
  take(key: string, cost?: number): BucketVerdict | Promise<BucketVerdict>;
  forget(key: string): void | Promise<void>;
}

/** The in-memory buckets answer at once. */
export interface MemoryTokenBucketLimiter extends TokenBucketLimiter {
  take(key: string, cost?: number): BucketVerdict;
  forget(key: string): void;
}

export function createTokenBucketLimiter(
  options: TokenBucketOptions,
  clock: Clock,
): MemoryTokenBucketLimiter {
  const { capacity, refillPerSecond } = options;
  const maxKeys = options.maxKeys ?? 10_000;
  if (!(capacity > 0 && refillPerSecond > 0 && maxKeys >= 1)) {
    throw new Error('a token bucket needs a positive capacity, refill rate and key limit');
  }
  // Insertion order is recency order: a key is moved to the end whenever it is used.
  const buckets = new Map<string, { tokens: number; updatedMs: number }>();

  return {
    take(key, cost = 1) {
      const nowMs = clock.now().getTime();
      let bucket = buckets.get(key);
      if (bucket) {
        buckets.delete(key);
        // A clock that steps backwards refills nothing rather than draining the bucket.
        const elapsedSeconds = Math.max(0, nowMs - bucket.updatedMs) / 1000;
        bucket.tokens = Math.min(capacity, bucket.tokens + elapsedSeconds * refillPerSecond);
        bucket.updatedMs = nowMs;
      } else {
        bucket = { tokens: capacity, updatedMs: nowMs };
        // Forget the least recently used key: a fresh bucket is the worst an evicted key gets.
        while (buckets.size >= maxKeys) {
          const oldest = buckets.keys().next().value;
          if (oldest === undefined) break;
          buckets.delete(oldest);
        }
      }
      buckets.set(key, bucket);
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return { allowed: true, retryAfterSeconds: 0 };
      }
      // A cost above the capacity never fits; say when a full bucket would be back anyway.
      const missing = Math.min(cost, capacity) - bucket.tokens;
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(missing / refillPerSecond)),
      };
    },
    forget(key) {
      buckets.delete(key);
    },
  };
}

/** After this many consecutive failures an account is locked (§5.2.2: at most 100). */
export const ACCOUNT_LOCKOUT_THRESHOLD = 100;

/** Failures (of the account or of the IP) from which a CAPTCHA is required at sign-in. */
export const CAPTCHA_AFTER_FAILURES = 3;

/**
 * How long to hold the answer to an attempt on an account that has this many consecutive
 * failures: 0 for up to 3, then 1 s, 2 s, 4 s, 8 s, 16 s and 30 s from the 9th on. The caller
 * waits with a timer (never blocking the event loop). At the cap, the 100 failures before the
 * lockout take at least 45 minutes.
 */
export function accountFailureDelayMs(consecutiveFailures: number): number {
  if (!(consecutiveFailures > FREE_FAILURES)) return 0;
  const doublings = Math.min(consecutiveFailures - FREE_FAILURES - 1, 30);
  return Math.min(FAILURE_DELAY_CAP_MS, FIRST_FAILURE_DELAY_MS * 2 ** doublings);
}

/** Failures that cost no delay, the first delay, and the ceiling of the delays. */
export const FREE_FAILURES = 3;
export const FIRST_FAILURE_DELAY_MS = 1_000;
export const FAILURE_DELAY_CAP_MS = 30_000;

/** A CAPTCHA is required at sign-in once the account or the client IP has 3 failures. */
export function captchaRequired(accountFailures: number, ipFailures: number): boolean {
  return accountFailures >= CAPTCHA_AFTER_FAILURES || ipFailures >= CAPTCHA_AFTER_FAILURES;
}
