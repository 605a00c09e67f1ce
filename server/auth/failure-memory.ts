/**
 * Failure counts kept in memory, with bounded size (the least recently touched key goes first):
 * per client IP (to ask for a CAPTCHA and forget on a success from that IP), and per unknown
 * username (so an unknown name meets the same CAPTCHA, delays and lockout as a known one).
 */
export interface FailureMemory {
  count(key: string): number;
  add(key: string): number;
  forget(key: string): void;
}

export function createFailureMemory(maxKeys = 10_000): FailureMemory {
  const counts = new Map<string, number>();
  return {
    count: (key) => counts.get(key) ?? 0,
    add(key) {
      const next = (counts.get(key) ?? 0) + 1;
      counts.delete(key);
      counts.set(key, next);
      if (counts.size > maxKeys) {
        const oldest = counts.keys().next().value;
        if (oldest !== undefined) counts.delete(oldest);
      }
      return next;
    },
    forget: (key) => {
      counts.delete(key);
    },
  };
}
