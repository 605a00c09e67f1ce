/**
 * The keystore: where each conversation's key material and counters live between page loads.
 * One localStorage item per (signed-in user, peer), under a versioned key:
 *
 *   parley:v1:<userId>:conversation:<peerId>  →  JSON ConversationRecord (see docs/protocol.md)
 *
 * Every read-modify-write runs under the Web Lock of the same name, so two tabs of one user never
 * interleave theirs: a tab reserves and persists a send counter before encrypting, and the other
 * tab's next reservation reads it. The commit fence (fence.ts) makes sure it reads the latest
 * value, which localStorage alone does not promise across tabs: each stored value begins with
 * its commit number, `{"commit":7,"v":1,…}`, which the fence names too.
 */
import {
  type ConversationRecord,
  type ConversationStore,
  emptyConversation,
  isUserId,
} from '../protocol/index.js';
import { type CommitFence, type FenceMark, fingerprintOf, StaleStorageError } from './fence.js';
import type { LockManagerLike } from './locks.js';
import { parseStoredConversation } from './record.js';
import type { StorageLike } from './storage.js';

export const KEYSTORE_PREFIX = 'parley:v1';

export interface KeystoreOptions {
  /** `localStorage` in the browser. */
  storage: StorageLike;
  /** `webLocks(navigator.locks)` in the browser. */
  locks: LockManagerLike;
  /** The signed-in user's immutable id: namespaces everything this keystore touches. */
  userId: string;
  /**
   * `indexedDbFence(indexedDB)` in the browser, where tabs share localStorage only eventually.
   * Omit it only where every reader sees every write at once (one realm's memory storage).
   */
  fence?: CommitFence;
  /** How long a lock holder waits for localStorage to catch up with the fence (default 3 s). */
  freshnessTimeoutMs?: number;
}

export interface Keystore {
  readonly userId: string;
  /** The store of the conversation with `peerId`, to hand to createConversation. */
  conversation(peerId: string): ConversationStore;
  /** Deletes everything kept about the conversation with `peerId`. */
  forget(peerId: string): Promise<void>;
}

/** The storage key (and lock name) of a conversation. */
export function conversationKey(userId: string, peerId: string): string {
  return `${KEYSTORE_PREFIX}:${userId}:conversation:${peerId}`;
}

const COMMIT_PREFIX = /^\{"commit":(\d+)[,}]/;

/** The commit number a stored value begins with; 0 for a value written before they existed. */
export function commitOf(raw: string | null): number {
  const match = raw === null ? null : COMMIT_PREFIX.exec(raw);
  return match ? Number(match[1]) : 0;
}

/** The commit number of the value that replaces `raw`, committed last under `mark`. */
const nextCommit = (raw: string | null, mark: FenceMark | undefined) =>
  Math.max(commitOf(raw), typeof mark === 'number' ? mark : 0) + 1;

export function createKeystore(options: KeystoreOptions): Keystore {
  const { storage, locks, userId, fence } = options;
  const timeoutMs = options.freshnessTimeoutMs ?? 3_000;
  if (!isUserId(userId)) throw new RangeError('not a user id');

  const parse = (raw: string | null, peerId: string): ConversationRecord => {
    const record = parseStoredConversation(raw, userId, peerId);
    if (record === null) return emptyConversation(userId, peerId);
    // The commit number is the keystore's, not the protocol's.
    delete (record as { commit?: unknown }).commit;
    return record;
  };

  /** Whether `raw` is the value `mark` names, or one written after it. */
  const caughtUp = async (raw: string | null, mark: FenceMark | undefined) => {
    if (mark === undefined || raw === null) return true;
    if (typeof mark === 'number') return commitOf(raw) >= mark;
    return (await fingerprintOf(raw)) === mark;
  };

  /**
   * The stored value once it is the one committed last or a later one (call under the lock),
   * and the commit number its replacement takes. No item at all is taken as it is: storage
   * cleared by the user means no keys, so nothing to reuse.
   */
  const readCommitted = async (key: string): Promise<{ raw: string | null; next: number }> => {
    const mark = fence ? await fence.read(key) : undefined;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const raw = storage.getItem(key);
      if (await caughtUp(raw, mark)) {
        return { raw, next: nextCommit(raw, mark) };
      }
      if (Date.now() > deadline) {
        throw new StaleStorageError('localStorage did not catch up with another tab in time');
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  /** Stores the record's JSON (null: removes the item) as commit `number`, then the fence. */
  const commit = async (key: string, json: string | null, number: number) => {
    if (json === null) storage.removeItem(key);
    else storage.setItem(key, `{"commit":${number},${json.slice(1)}`);
    await fence?.write(key, number);
  };

  return {
    userId,

    conversation(peerId) {
      if (!isUserId(peerId) || peerId === userId) throw new RangeError('not a peer id');
      const key = conversationKey(userId, peerId);
      return {
        update: (step) =>
          locks.request(key, async () => {
            const { raw, next } = await readCommitted(key);
            const record = parse(raw, peerId);
            const before = JSON.stringify(record);
            const result = await step(record);
            // A step that changed nothing (a message refused) writes nothing.
            const after = JSON.stringify(record);
            if (after !== before) await commit(key, after, next);
            return result;
          }),
        read: () => parse(storage.getItem(key), peerId),
        latest: () => locks.request(key, async () => parse((await readCommitted(key)).raw, peerId)),
      };
    },

    forget(peerId) {
      const key = conversationKey(userId, peerId);
      // No wait for a lagging localStorage: nothing is read, only the number must be new.
      return locks.request(key, async () => {
        const mark = fence ? await fence.read(key) : undefined;
        await commit(key, null, nextCommit(storage.getItem(key), mark));
      });
    },
  };
}
