/**
 * Unknown usernames' try standings through a real Redis (the shared one when it answers, under
 * this file's own key prefix; else a private redis-server): two clusters (two instances)
 * reserving one name in parallel count every try once, in one order; a Redis outage (a private
 * redis-server stopped) falls back to each instance's memory, and the shared count is used again
 * once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findRedisServer,
  type RedisServer,
  startPrivateRedis,
  testKeyPrefix,
} from '../../test/support/redis-server.js';
import type { TryStanding, TryStandingStore } from '../auth/try-standings.js';
import type { Cluster } from '../cluster/cluster.js';
import { createRedisCluster } from '../cluster/redis-cluster.js';
import { createMemoryLogger } from '../logger.js';

let redis: RedisServer;
const clusters: Cluster[] = [];

beforeAll(async () => {
  redis = await findRedisServer();
});
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
  await redis?.stop();
});

function cluster(url: string, prefix: string): Cluster {
  const made = createRedisCluster({ url, prefix, logger: createMemoryLogger() });
  clusters.push(made);
  return made;
}

/** One failure more, the slot one second after the previous one (as decideTry paces). */
const oneMore = (standing: TryStanding) => ({
  result: standing.failures,
  next: { failures: standing.failures + 1, lastSlotMs: (standing.lastSlotMs ?? 0) + 1000 },
});

/** Waits until both are connected: a standing one stores is what the other reads. */
async function connected(a: TryStandingStore, b: TryStandingStore) {
  let n = 0;
  await expect
    .poll(async () => {
      n += 1;
      await a.reserve('probe', () => ({ result: 0, next: { failures: n, lastSlotMs: null } }));
      return (await b.reserve('probe', (s) => ({ result: s.failures }))) === n;
    })
    .toBe(true);
}

describe('unknown usernames’ try standings in Redis', () => {
  it('two instances reserving one name in parallel count each try once, in one order', async () => {
    const prefix = testKeyPrefix();
    const a = cluster(redis.url, prefix).tryStandings('unknown-accounts');
    const b = cluster(redis.url, prefix).tryStandings('unknown-accounts');
    await connected(a, b);
    const before = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).reserve('nobody', oneMore)),
    );
    expect([...before].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const standing = await a.reserve('nobody', (s) => ({ result: s }));
    expect(standing).toEqual({ failures: 40, lastSlotMs: 40_000 });
    // Another deployment (another prefix) shares nothing with this one.
    const other = cluster(redis.url, testKeyPrefix()).tryStandings('unknown-accounts');
    await connected(other, other);
    expect(await other.reserve('nobody', (s) => ({ result: s.failures }))).toBe(0);
  });

  it('during an outage each instance counts in its memory; the shared count is used again after', async () => {
    const privateRedis = await startPrivateRedis();
    let restarted: RedisServer | undefined;
    try {
      const prefix = testKeyPrefix();
      const a = cluster(privateRedis.url, prefix).tryStandings('unknown-accounts');
      const b = cluster(privateRedis.url, prefix).tryStandings('unknown-accounts');
      await connected(a, b);
      await a.reserve('ghost', oneMore);
      await a.reserve('ghost', oneMore);
      expect(await b.reserve('ghost', (s) => ({ result: s.failures }))).toBe(2);
      await privateRedis.stop();
      // Down: answered from each instance's memory, at once, never an error.
      await expect.poll(() => a.reserve('ghost', oneMore)).toBe(0);
      expect(await b.reserve('ghost', oneMore)).toBe(0);
      restarted = await startPrivateRedis(privateRedis.port);
      // Back (an empty redis-server here, no persistence): shared again.
      await connected(a, b);
      await a.reserve('after', oneMore);
      expect(await b.reserve('after', oneMore)).toBe(1);
    } finally {
      await restarted?.stop();
      await privateRedis.stop();
    }
  });
});
