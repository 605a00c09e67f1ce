import { describe, expect, test } from 'vitest';
import { createConversation } from '../protocol/conversation.js';
import { type ConversationRecord, emptyConversation } from '../protocol/state.js';
import { exchangeKeys, party, send, testClock } from '../protocol/test-support.js';
import { conversationKey, createKeystore } from './keystore.js';
import { createMemoryLocks, type LockManagerLike, webLocks } from './locks.js';
import { createMemoryStorage, type StorageLike } from './storage.js';

describe('keystore layout', () => {
  test('one versioned item per (signed-in user, peer): two accounts in one browser never collide', async () => {
    const clock = testClock();
    const storage = createMemoryStorage();
    const alice = party('alice', 'bob', clock, { storage });
    const bob = party('bob', 'alice', clock, { storage }); // same browser profile, other account
    await exchangeKeys(alice, bob);
    expect(
      storage
        .entries()
        .map(([key]) => key)
        .sort(),
    ).toEqual(['parley:v1:alice:conversation:bob', 'parley:v1:bob:conversation:alice']);
    const record = JSON.parse(storage.getItem(conversationKey('alice', 'bob'))!);
    expect(record).toMatchObject({ v: 1, self: 'alice', peer: 'bob' });
    expect(Object.keys(record).sort()).toEqual([
      'commit',
      'current',
      'delivered',
      'elsewhere',
      'epochs',
      'exchanges',
      'offered',
      'peer',
      'pending',
      'receipts',
      'self',
      'unstoredChanges',
      'v',
    ]);
  });

  test('a record written before the delivery record and exchange standings existed keeps its keys', async () => {
    const clock = testClock();
    const alice = party('alice', 'bob', clock);
    const bob = party('bob', 'alice', clock);
    await exchangeKeys(alice, bob);
    const key = conversationKey('alice', 'bob');
    const record = JSON.parse(alice.storage.getItem(key)!);
    delete record.delivered;
    delete record.offered;
    delete record.elsewhere;
    delete record.receipts;
    delete record.unstoredChanges;
    for (const exchange of Object.values(record.exchanges) as Record<string, unknown>[]) {
      for (const field of [
        'replaced',
        'standing',
        'automatic',
        'recovered',
        'replyId',
        'rivalReplyId',
      ]) {
        delete exchange[field];
      }
    }
    alice.storage.setItem(key, JSON.stringify(record));
    const reopened = party('alice', 'bob', clock, { storage: alice.storage });
    expect(reopened.chat.status().state).toBe('ready');
    const wire = await send(bob.chat, 'after the upgrade');
    expect(await reopened.chat.receive(wire, 7)).toMatchObject({ text: 'after the upgrade' });
    const upgraded = JSON.parse(alice.storage.getItem(key)!);
    expect(upgraded.delivered).toHaveLength(1);
    expect(upgraded.unstoredChanges).toEqual([]);
    expect(upgraded.receipts).toEqual({
      sent: { delivered: 0, read: 0 },
      received: { delivered: 0, read: 0 },
    });
    expect(Object.values(upgraded.exchanges)).toMatchObject([
      { standing: 'confirmed', replaced: false },
    ]);
  });

  test('a corrupt, foreign or other-version record reads as empty (like cleared storage)', async () => {
    const storage = createMemoryStorage();
    const keystore = createKeystore({ storage, locks: createMemoryLocks(), userId: 'alice' });
    const store = keystore.conversation('bob');
    const key = conversationKey('alice', 'bob');
    const empty = emptyConversation('alice', 'bob');
    expect(store.read()).toEqual(empty);
    for (const text of [
      '{not json',
      'null',
      JSON.stringify({ ...empty, v: 2 }),
      JSON.stringify({ ...empty, self: 'mallory' }),
      JSON.stringify({ ...empty, current: { xid: 'A'.repeat(22), salt: 1 } }), // names no epoch
      JSON.stringify({ ...empty, epochs: { x: {} } }),
    ]) {
      storage.setItem(key, text);
      expect(store.read(), text).toEqual(empty);
    }
  });

  test('a valid record survives a write/read round trip through the validator', async () => {
    const clock = testClock();
    const alice = party('alice', 'bob', clock);
    const bob = party('bob', 'alice', clock);
    await exchangeKeys(alice, bob);
    await alice.chat.refreshKeys();
    const text = alice.storage.getItem(conversationKey('alice', 'bob'))!;
    // The item begins with the keystore's commit number; the protocol never sees it.
    const { commit, ...stored } = JSON.parse(text);
    expect(text.startsWith(`{"commit":${commit},"v":1,`)).toBe(true);
    expect(commit).toBeGreaterThan(1);
    expect(alice.keystore.conversation('bob').read()).toEqual(stored);
  });

  test('forget removes only that conversation', async () => {
    const storage = createMemoryStorage();
    storage.setItem('other-app', 'x');
    const keystore = createKeystore({ storage, locks: createMemoryLocks(), userId: 'alice' });
    const note = async (record: ConversationRecord) => {
      record.elsewhere.push('A'.repeat(22));
    };
    await keystore.conversation('bob').update(note);
    await keystore.conversation('carol').update(note);
    await keystore.forget('bob');
    expect(
      storage
        .entries()
        .map(([key]) => key)
        .sort(),
    ).toEqual(['other-app', 'parley:v1:alice:conversation:carol']);
  });

  test('rejects ids that are not user ids', () => {
    const options = { storage: createMemoryStorage(), locks: createMemoryLocks() };
    expect(() => createKeystore({ ...options, userId: 'a:b' })).toThrow(RangeError);
    const keystore = createKeystore({ ...options, userId: 'alice' });
    expect(() => keystore.conversation('alice')).toThrow(RangeError);
    expect(() => keystore.conversation('')).toThrow(RangeError);
  });
});

describe('locking', () => {
  test('every write to storage happens while the conversation lock is held', async () => {
    const locks = createMemoryLocks();
    const inner = createMemoryStorage();
    const writes: boolean[] = [];
    const storage: StorageLike = {
      getItem: (key) => inner.getItem(key),
      setItem: (key, value) => {
        writes.push(locks.held(key));
        inner.setItem(key, value);
      },
      removeItem: (key) => {
        writes.push(locks.held(key));
        inner.removeItem(key);
      },
    };
    const clock = testClock();
    const open = (self: string, peer: string, s: StorageLike) =>
      createConversation({
        self,
        peer,
        now: clock.now,
        store: createKeystore({ storage: s, locks, userId: self }).conversation(peer),
      });
    const alice = open('alice', 'bob', storage);
    const bob = open('bob', 'alice', createMemoryStorage());
    const started = await alice.startKeyExchange();
    if (started.kind !== 'offer') throw new Error('no offer');
    const reply = await bob.receive(started.offer);
    if (reply.kind !== 'exchange-reply') throw new Error('no reply');
    await alice.receive(reply.reply);
    await Promise.all([
      alice.encrypt('a'),
      alice.encrypt('b'),
      alice.refreshKeys(),
      alice.encrypt('c'),
    ]);
    await createKeystore({ storage, locks, userId: 'alice' }).forget('bob');
    expect(writes.length).toBeGreaterThanOrEqual(7);
    expect(writes.every(Boolean)).toBe(true);
  });

  test('a failed step writes nothing', async () => {
    const storage = createMemoryStorage();
    const store = createKeystore({
      storage,
      locks: createMemoryLocks(),
      userId: 'alice',
    }).conversation('bob');
    await expect(
      store.update(async (record) => {
        record.current = { xid: 'A'.repeat(22), salt: 9 };
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(storage.entries()).toEqual([]);
  });

  test('memory locks: one holder per name at a time, FIFO, independent names in parallel', async () => {
    const locks = createMemoryLocks();
    const events: string[] = [];
    const hold = (name: string, id: string, ticks: number) =>
      locks.request(name, async () => {
        events.push(`${id}+`);
        for (let i = 0; i < ticks; i += 1) await Promise.resolve();
        events.push(`${id}-`);
        return id;
      });
    const results = await Promise.all([
      hold('a', 'a1', 5),
      hold('a', 'a2', 1),
      hold('b', 'b1', 1),
      hold('a', 'a3', 1),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1', 'a3']);
    const onA = events.filter((e) => e.startsWith('a'));
    expect(onA).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    expect(events.indexOf('b1+')).toBeLessThan(events.indexOf('a1-')); // b did not wait for a
    await expect(locks.request('a', async () => Promise.reject(new Error('x')))).rejects.toThrow(
      'x',
    );
    expect(await locks.request('a', async () => 'still works')).toBe('still works');
  });

  test('webLocks adapts the Web Locks API: exclusive mode, the callback’s result', async () => {
    const calls: unknown[] = [];
    const fake = {
      request: (name: string, options: LockOptions, callback: (lock: Lock | null) => unknown) => {
        calls.push([name, options]);
        return Promise.resolve(callback({ name, mode: 'exclusive' } as Lock));
      },
      query: () => Promise.resolve({}),
    } as unknown as LockManager;
    const adapted: LockManagerLike = webLocks(fake);
    expect(await adapted.request('parley:v1:alice:conversation:bob', async () => 42)).toBe(42);
    expect(calls).toEqual([['parley:v1:alice:conversation:bob', { mode: 'exclusive' }]]);
  });
});
