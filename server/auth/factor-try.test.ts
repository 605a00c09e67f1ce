import { describe, expect, it } from 'vitest';
import { decideTry, type TryStanding } from './factor-try.js';
import { accountFailureDelayMs } from './rate-limit.js';

const standing = (over: Partial<TryStanding> = {}): TryStanding => ({
  failures: 0,
  lockedFlag: false,
  ipFailures: 0,
  lastSlotMs: null,
  ...over,
});
const password = { captcha: 'missing' as const, paced: true, delayScale: 1 };

describe('decideTry (§5.2.2, one try at a time)', () => {
  it('asks for the CAPTCHA from the 4th try (account or IP), before telling the lock', () => {
    expect(decideTry(standing({ failures: 2 }), password, 0).kind).toBe('go');
    expect(decideTry(standing({ failures: 3 }), password, 0)).toEqual({
      kind: 'captcha',
      verdict: 'missing',
    });
    expect(decideTry(standing({ ipFailures: 3 }), password, 0).kind).toBe('captcha');
    expect(decideTry(standing({ failures: 100 }), password, 0).kind).toBe('captcha');
    const solved = { ...password, captcha: 'ok' as const };
    expect(decideTry(standing({ failures: 3 }), solved, 0).kind).toBe('go');
    expect(decideTry(standing({ failures: 100 }), solved, 0).kind).toBe('locked');
    expect(decideTry(standing({ lockedFlag: true }), solved, 0).kind).toBe('locked');
  });

  it('queues the growing delay after the previous slot, so a burst waits as long as a sequence', () => {
    const now = 1_000_000;
    const solved = { ...password, captcha: 'ok' as const };
    let slot: number | null = null;
    let total = 0;
    for (let failures = 0; failures < 12; failures += 1) {
      const d = decideTry(standing({ failures, lastSlotMs: slot }), solved, now);
      if (d.kind !== 'go') throw new Error(d.kind);
      total += accountFailureDelayMs(failures);
      expect(d.slotMs).toBe(now + total);
      slot = d.slotMs;
    }
    // A slot in the past does not shorten the delay.
    const late = decideTry(standing({ failures: 5, lastSlotMs: now - 60_000 }), solved, now);
    expect(late.kind === 'go' && late.slotMs).toBe(now + accountFailureDelayMs(5));
  });

  it('second factors are not asked for a CAPTCHA nor delayed, but meet the lock', () => {
    const second = { captcha: 'not_asked' as const, paced: false, delayScale: 1 };
    expect(decideTry(standing({ failures: 50, lastSlotMs: 9_999 }), second, 5)).toEqual({
      kind: 'go',
      failuresBefore: 50,
      slotMs: 5,
    });
    expect(decideTry(standing({ failures: 100 }), second, 5).kind).toBe('locked');
  });
});
