import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import {
  ACCOUNT_LOCKOUT_THRESHOLD,
  accountFailureDelayMs,
  captchaRequired,
  createTokenBucketLimiter,
} from './rate-limit.js';

describe('token bucket per key (NIST 800-63B §5.2.2, per client IP)', () => {
  it('allows a burst up to the capacity, then refuses with a retry time', () => {
    const clock = new FakeClock();
    const limiter = createTokenBucketLimiter({ capacity: 3, refillPerSecond: 0.5 }, clock);
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.take('198.51.100.7')).toEqual({ allowed: true, retryAfterSeconds: 0 });
    }
    expect(limiter.take('198.51.100.7')).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  it('refills with time, never above the capacity', () => {
    const clock = new FakeClock();
    const limiter = createTokenBucketLimiter({ capacity: 2, refillPerSecond: 1 }, clock);
    limiter.take('ip');
    limiter.take('ip');
    expect(limiter.take('ip').allowed).toBe(false);
    clock.advance(999);
    expect(limiter.take('ip').allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take('ip').allowed).toBe(true);
    clock.advance(3_600_000);
    expect(limiter.take('ip').allowed).toBe(true);
    expect(limiter.take('ip').allowed).toBe(true);
    expect(limiter.take('ip').allowed).toBe(false);
  });

  it('keeps keys apart', () => {
    const limiter = createTokenBucketLimiter({ capacity: 1, refillPerSecond: 1 }, new FakeClock());
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('charges a cost, and refuses a cost above the capacity', () => {
    const clock = new FakeClock();
    const limiter = createTokenBucketLimiter({ capacity: 10, refillPerSecond: 1 }, clock);
    expect(limiter.take('ip', 6).allowed).toBe(true);
    expect(limiter.take('ip', 6)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(limiter.take('ip', 11)).toMatchObject({ allowed: false });
  });

  it('forgets a key on request: the bucket starts full again', () => {
    const limiter = createTokenBucketLimiter(
      { capacity: 1, refillPerSecond: 0.01 },
      new FakeClock(),
    );
    limiter.take('ip');
    expect(limiter.take('ip').allowed).toBe(false);
    limiter.forget('ip');
    expect(limiter.take('ip').allowed).toBe(true);
  });

  it('does not refill when the clock steps backwards', () => {
    const clock = new FakeClock();
    const limiter = createTokenBucketLimiter({ capacity: 1, refillPerSecond: 1 }, clock);
    limiter.take('ip');
    clock.advance(-60_000);
    expect(limiter.take('ip').allowed).toBe(false);
  });

  it('holds at most maxKeys keys, forgetting the least recently used', () => {
    const clock = new FakeClock();
    const limiter = createTokenBucketLimiter(
      { capacity: 1, refillPerSecond: 0.001, maxKeys: 3 },
      clock,
    );
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    expect(limiter.take('a').allowed).toBe(false); // 'a' is now the most recent
    limiter.take('d'); // evicts 'b', the least recently used
    expect(limiter.take('a').allowed).toBe(false); // still remembered
    expect(limiter.take('c').allowed).toBe(false); // still remembered (evicts 'd')
    expect(limiter.take('b').allowed).toBe(true); // forgotten: a fresh bucket
  });

  it('stays bounded under a flood of distinct keys', () => {
    const limiter = createTokenBucketLimiter(
      { capacity: 1, refillPerSecond: 1, maxKeys: 100 },
      new FakeClock(),
    );
    for (let i = 0; i < 10_000; i += 1) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    // the last 100 keys are remembered, earlier ones are not
    expect(limiter.take('10.0.39.15').allowed).toBe(false);
    expect(limiter.take('10.0.0.0').allowed).toBe(true);
  });

  it('refuses nonsensical options', () => {
    const clock = new FakeClock();
    expect(() => createTokenBucketLimiter({ capacity: 0, refillPerSecond: 1 }, clock)).toThrow();
    expect(() => createTokenBucketLimiter({ capacity: 1, refillPerSecond: 0 }, clock)).toThrow();
  });
});

describe('growing per-account delays', () => {
  it('costs nothing for the first 3 failures, then doubles from 1 s to a 30 s cap', () => {
    const delays = Array.from({ length: 12 }, (_, failures) => accountFailureDelayMs(failures));
    expect(delays).toEqual([
      0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(accountFailureDelayMs(ACCOUNT_LOCKOUT_THRESHOLD)).toBe(30_000);
    expect(accountFailureDelayMs(1e9)).toBe(30_000);
    expect(accountFailureDelayMs(-1)).toBe(0);
    expect(accountFailureDelayMs(Number.NaN)).toBe(0);
  });

  it('makes the 100 failures before the lockout take at least 45 minutes', () => {
    let totalMs = 0;
    for (let failures = 0; failures < ACCOUNT_LOCKOUT_THRESHOLD; failures += 1) {
      totalMs += accountFailureDelayMs(failures);
    }
    expect(totalMs).toBeGreaterThanOrEqual(45 * 60_000);
  });

  it('locks at 100 consecutive failures (§5.2.2: no more than 100)', () => {
    expect(ACCOUNT_LOCKOUT_THRESHOLD).toBe(100);
  });
});

describe('captchaRequired', () => {
  it('asks for a CAPTCHA once the account or the IP has 3 failures', () => {
    expect(captchaRequired(0, 0)).toBe(false);
    expect(captchaRequired(2, 2)).toBe(false);
    expect(captchaRequired(3, 0)).toBe(true);
    expect(captchaRequired(0, 3)).toBe(true);
    expect(captchaRequired(150, 0)).toBe(true);
  });
});
