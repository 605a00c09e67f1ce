import { describe, expect, test } from 'vitest';
import { createConversation } from '../protocol/conversation.js';
import { exchangeKeys, party, send, testClock } from '../protocol/test-support.js';
import { type CommitFence, createMemoryFence, fingerprintOf, StaleStorageError } from './fence.js';
import { createKeystore } from './keystore.js';
import { createMemoryStorage, type StorageLike } from './storage.js';

/**
 * Another tab's view of a shared storage, as Chromium gives it: reads come from a cache that
 * writes made elsewhere reach only `lagMs` later (or never, with lagMs = Infinity).
 */
function laggingView(shared: StorageLike, lagMs: number) {
  const cache = new Map<string, string | null>();
  return {
    getItem: (key: string) => (cache.has(key) ? cache.get(key)! : shared.getItem(key)),
    setItem: (key: string, value: string) => {
      shared.setItem(key, value);
      cache.set(key, value);
    },
    removeItem: (key: string) => {
      shared.removeItem(key);
      cache.set(key, null);
    },
    /** Called for every write of the other tab: this view sees it only after the lag. */
    otherTabWrote(key: string, previous: string | null) {
      if (!cache.has(key)) cache.set(key, previous);
      if (Number.isFinite(lagMs)) setTimeout(() => cache.delete(key), lagMs);
    },
  };
}

/** Alice with keys agreed with Bob, and a second tab of hers whose storage lags behind. */
async function twoTabs(lagMs: number, fence: CommitFence | undefined) {
  const clock = testClock();
  const storage = createMemoryStorage();
  const alice = party('alice', 'bob', clock, { storage });
  const bob = party('bob', 'alice', clock);
  await exchangeKeys(alice, bob);
  const lagging = laggingView(storage, lagMs);
  // Tab one writes through a wrapper that tells tab two's cache, late.
  const tabOneStorage: StorageLike = {
    getItem: (key) => storage.getItem(key),
    setItem: (key, value) => {
      lagging.otherTabWrote(key, storage.getItem(key));
      storage.setItem(key, value);
    },
    removeItem: (key) => {
      lagging.otherTabWrote(key, storage.getItem(key));
      storage.removeItem(key);
    },
  };
  const open = (tabStorage: StorageLike) =>
    createConversation({
      self: 'alice',
      peer: 'bob',
      store: createKeystore({
        storage: tabStorage,
        locks: alice.locks,
        userId: 'alice',
        freshnessTimeoutMs: 200,
        ...(fence ? { fence } : {}),
      }).conversation('bob'),
      now: clock.now,
    });
  // The fence learns the state the exchange left behind.
  await fence?.write(
    'parley:v1:alice:conversation:bob',
    await fingerprintOf(storage.getItem('parley:v1:alice:conversation:bob')),
  );
  return { one: open(tabOneStorage), two: open(lagging) };
}

const counterOf = (wire: string) =>
  Number.parseInt(Buffer.from(JSON.parse(wire).iv, 'base64url').toString('hex'), 16);

describe('commit fence', () => {
  test('control: a tab reading a stale localStorage under the lock reuses an IV', async () => {
    // A lag that never ends: with 30 ms, a loaded machine let the cache expire before tab two
    // read it, and the control failed to show the reuse it exists to show.
    const { one, two } = await twoTabs(Number.POSITIVE_INFINITY, undefined);
    const first = await send(one, 'from tab one');
    const second = await send(two, 'from tab two');
    expect(counterOf(second)).toBe(counterOf(first));
  });

  test('with the fence, the next lock holder waits for the latest value: no IV is reused', async () => {
    const { one, two } = await twoTabs(30, createMemoryFence());
    const counters: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      counters.push(counterOf(await send(one, `one ${i}`)));
      counters.push(counterOf(await send(two, `two ${i}`)));
    }
    expect(counters).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('a storage that never catches up makes the keystore refuse, not guess', async () => {
    const { one, two } = await twoTabs(Number.POSITIVE_INFINITY, createMemoryFence());
    await send(one, 'from tab one');
    await expect(two.encrypt('from tab two')).rejects.toBeInstanceOf(StaleStorageError);
  });
});
