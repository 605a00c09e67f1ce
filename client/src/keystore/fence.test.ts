import { describe, expect, test } from 'vitest';
import { createConversation } from '../protocol/conversation.js';
import { exchangeKeys, party, send, testClock } from '../protocol/test-support.js';
import { type CommitFence, createMemoryFence, fingerprintOf, StaleStorageError } from './fence.js';
import { commitOf, createKeystore } from './keystore.js';
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
    commitOf(storage.getItem('parley:v1:alice:conversation:bob')),
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

  test('a tab gone between its localStorage write and its fence write: the next holder reads the newer value', async () => {
    // The page reloaded with its fence transaction pending: IndexedDB aborted it.
    const { one, two, fence, storage } = await twoTabsOneGoing();
    const key = 'parley:v1:alice:conversation:bob';
    const first = await send(one, 'before');
    fence.failWrites = true;
    await expect(one.encrypt('while going')).rejects.toThrow('aborted');
    const written = storage.getItem(key);
    expect(commitOf(written)).toBe((await fence.read(key)) + 1);
    fence.failWrites = false;
    // Tab two (the page after the reload) takes the newer value: the next counter, no refusal.
    const second = await send(two, 'after');
    expect(counterOf(second)).toBe(counterOf(first) + 2);
    expect(await fence.read(key)).toBe(commitOf(storage.getItem(key)));
  });

  test('a stale localStorage is still told from a newer one: an older commit than the fence names waits', async () => {
    const { one, two } = await twoTabs(Number.POSITIVE_INFINITY, createMemoryFence());
    await send(one, 'from tab one');
    await send(one, 'and another');
    await expect(two.encrypt('from tab two')).rejects.toBeInstanceOf(StaleStorageError);
  });

  test('a fence an older client wrote (a fingerprint, no commit numbers) is honoured', async () => {
    const { one, two, fence, storage } = await twoTabsOneGoing();
    const key = 'parley:v1:alice:conversation:bob';
    // What a client from before commit numbers left: a record without one, its fingerprint.
    const { commit: _, ...record } = JSON.parse(storage.getItem(key)!);
    storage.setItem(key, JSON.stringify(record));
    fence.marks.set(key, await fingerprintOf(storage.getItem(key)));
    const first = await send(one, 'after the upgrade');
    expect(commitOf(storage.getItem(key))).toBe(1);
    expect(counterOf(await send(two, 'and again'))).toBe(counterOf(first) + 1);
    // A record that is not the fingerprinted one is refused as before.
    fence.marks.set(key, await fingerprintOf('{"v":1}'));
    await expect(two.encrypt('stale')).rejects.toBeInstanceOf(StaleStorageError);
  });

  test('a step that changes nothing (a message refused) writes nothing', async () => {
    const { one, fence, storage } = await twoTabsOneGoing();
    const key = 'parley:v1:alice:conversation:bob';
    const before = storage.getItem(key);
    const mark = await fence.read(key);
    expect(await one.receive('{"type":"msg"}', 99)).toEqual({ kind: 'invalid' });
    expect(storage.getItem(key)).toBe(before);
    expect(await fence.read(key)).toBe(mark);
  });
});

/**
 * Alice with keys agreed, two tabs of hers on one storage (no lag) and one fence whose writes
 * fail while `failWrites` is set, as IndexedDB aborts the transaction of a page that goes.
 */
async function twoTabsOneGoing() {
  const clock = testClock();
  const storage = createMemoryStorage();
  const alice = party('alice', 'bob', clock, { storage });
  const bob = party('bob', 'alice', clock);
  await exchangeKeys(alice, bob);
  const key = 'parley:v1:alice:conversation:bob';
  const marks = new Map<string, number | string>([[key, commitOf(storage.getItem(key))]]);
  const fence = {
    failWrites: false,
    marks,
    read: async (name: string) => marks.get(name) as number,
    write: async (name: string, commit: number) => {
      if (fence.failWrites) throw new Error('the transaction was aborted');
      marks.set(name, commit);
    },
  };
  const open = () =>
    createConversation({
      self: 'alice',
      peer: 'bob',
      store: createKeystore({
        storage,
        locks: alice.locks,
        userId: 'alice',
        freshnessTimeoutMs: 200,
        fence,
      }).conversation('bob'),
      now: clock.now,
    });
  return { one: open(), two: open(), fence, storage };
}
