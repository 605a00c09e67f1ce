/**
 * The standing of each unknown username (failures counted, the instant its latest reserved try
 * is weighed at), so an unknown name meets the same CAPTCHA, delays and lockout as a known
 * account (whose standing is its users row). One instance keeps it in memory (below, bounded:
 * the least recently reserved key goes first); several share it through Redis
 * (server/cluster/redis-try-standings.ts), so a burst spread over the instances is counted once.
 */

export interface TryStanding {
  failures: number;
  /** The instant (ms) the key's latest reserved try is weighed at, or null. */
  lastSlotMs: number | null;
}

export interface TryStandingStore {
  /**
   * Reads the key's standing, lets `decide` choose, and stores the standing it returns as
   * `next` (none: nothing changes), with no other reservation of the key in between, on any
   * instance sharing the store. `decide` must be pure: it may be asked again when another
   * reservation came first.
   */
  reserve<T>(
    key: string,
    decide: (standing: TryStanding) => { result: T; next?: TryStanding },
  ): Promise<T>;
}

export const NO_STANDING: TryStanding = { failures: 0, lastSlotMs: null };

export interface MemoryTryStandings extends TryStandingStore {
  /** The same, answered at once (the Redis store's fallback during an outage uses it too). */
  reserveNow<T>(
    key: string,
    decide: (standing: TryStanding) => { result: T; next?: TryStanding },
  ): T;
}

export function createMemoryTryStandings(maxKeys = 10_000): MemoryTryStandings {
  const standings = new Map<string, TryStanding>();
  const reserveNow = <T>(
    key: string,
    decide: (standing: TryStanding) => { result: T; next?: TryStanding },
  ): T => {
    const { result, next } = decide(standings.get(key) ?? NO_STANDING);
    if (next) {
      standings.delete(key);
      standings.set(key, next);
      if (standings.size > maxKeys) {
        const oldest = standings.keys().next().value;
        if (oldest !== undefined) standings.delete(oldest);
      }
    }
    return result;
  };
  return {
    reserveNow,
    reserve: (key, decide) => Promise.resolve(reserveNow(key, decide)),
  };
}
