/**
 * Unknown usernames' try standings shared by every instance through Redis: one hash per key
 * (`f` failures, `s` slot in ms, empty for none), expiring TRY_STANDING_TTL_MS after its last
 * reservation. A reservation reads the hash, decides in JavaScript (the same pure decideTry as
 * for known accounts) and writes with a compare-and-set script that stores only if the hash
 * still holds what was read; otherwise it decides again on what another instance stored (at
 * most MAX_RESERVE_ROUNDS times; reservations of one name queue within an instance, so only the
 * instances race). No lock is held in Redis: nothing waits on a slow instance.
 *
 * A Redis outage (not connected, a command failing or timing out, the rounds used up) falls
 * back to this instance's memory for that reservation: each instance then counts unknown names
 * on its own, as a single instance always does, until Redis is back; what Redis held is kept
 * and used again then. The cluster logs the loss and the recovery once each.
 */
import type { Redis } from 'ioredis';
import {
  createMemoryTryStandings,
  NO_STANDING,
  type TryStanding,
  type TryStandingStore,
} from '../auth/try-standings.js';
import { type RandomSource, systemRandom } from '../random.js';

/** A week without a try forgets an unknown name (the in-memory store forgets by count). */
export const TRY_STANDING_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_RESERVE_ROUNDS = 16;

const COMPARE_AND_SET = `
local current = redis.call('HMGET', KEYS[1], 'f', 's')
if (current[1] or '') ~= ARGV[1] or (current[2] or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'f', ARGV[3], 's', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

export function createRedisTryStandings(
  client: Redis,
  keyPrefix: string,
  options: {
    onFallback?: (error: unknown) => void;
    /** Where the wait after a lost round comes from (systemRandom). */
    random?: RandomSource;
  } = {},
): TryStandingStore {
  const random = options.random ?? systemRandom;
  /** A fraction in [0, 1) from the random source. */
  const fraction = () => new DataView(random.bytes(4).buffer).getUint32(0) / 2 ** 32;
  const fallback = createMemoryTryStandings();
  const shared = async <T>(
    key: string,
    decide: (standing: TryStanding) => { result: T; next?: TryStanding },
  ): Promise<T> => {
    const redisKey = `${keyPrefix}${key}`;
    for (let round = 0; round < MAX_RESERVE_ROUNDS; round += 1) {
      const [f, s] = await client.hmget(redisKey, 'f', 's');
      const standing: TryStanding =
        f === null || f === undefined
          ? NO_STANDING
          : { failures: Number(f), lastSlotMs: s ? Number(s) : null };
      const { result, next } = decide(standing);
      if (!next) return result;
      const stored = await client.eval(
        COMPARE_AND_SET,
        1,
        redisKey,
        f ?? '',
        s ?? '',
        String(next.failures),
        next.lastSlotMs === null ? '' : String(next.lastSlotMs),
        String(TRY_STANDING_TTL_MS),
      );
      if (stored === 1) return result;
      // Another instance won this round: step aside a random moment, so two instances taking
      // turns cannot starve one of them through every round (that fell back to memory).
      await new Promise((resolve) => setTimeout(resolve, fraction() * (round + 1) * 2));
    }
    throw new Error(`no reservation of an unknown name within ${MAX_RESERVE_ROUNDS} rounds`);
  };
  const reserveOne = async <T>(
    key: string,
    decide: (standing: TryStanding) => { result: T; next?: TryStanding },
  ): Promise<T> => {
    if (client.status === 'ready') {
      try {
        return await shared(key, decide);
      } catch (error) {
        options.onFallback?.(error);
      }
    }
    return fallback.reserveNow(key, decide);
  };
  // One reservation of a key at a time in this instance (a burst on one name queues here), so
  // compare-and-set only ever races the other instances' reservations: a few rounds at most.
  const chains = new Map<string, Promise<unknown>>();
  return {
    reserve(key, decide) {
      const run = (chains.get(key) ?? Promise.resolve()).then(() => reserveOne(key, decide));
      const tail = run.then(
        () => undefined,
        () => undefined,
      );
      chains.set(key, tail);
      void tail.then(() => {
        if (chains.get(key) === tail) chains.delete(key);
      });
      return run;
    },
  };
}
