import { describe, expect, it } from 'vitest';
import { recentlyAuthenticated, sessionEndsAt, sessionState } from './session-policy.js';

describe('session policy (§4.2.3)', () => {
  const settings = { sessionIdleMs: 30 * 60_000, sessionAbsoluteMs: 12 * 3_600_000 };
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it('ends at 30 min idle or 12 h after authentication, whichever is first', () => {
    const fresh = { authenticatedAt: t0, lastActiveAt: t0 };
    expect(sessionState(fresh, settings, at(30 * 60_000 - 1))).toBe('active');
    expect(sessionState(fresh, settings, at(30 * 60_000 + 1_000))).toBe('idle_expired');
    const busy = { authenticatedAt: t0, lastActiveAt: at(12 * 3_600_000) };
    expect(sessionState(busy, settings, at(12 * 3_600_000 + 60_000))).toBe('absolute_expired');
    expect(sessionEndsAt(fresh, settings)).toEqual(at(30 * 60_000));
    expect(recentlyAuthenticated(fresh, { recentAuthMs: 15 * 60_000 }, at(16 * 60_000))).toBe(
      false,
    );
  });
});
