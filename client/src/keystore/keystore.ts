/**
 * The keystore: where each conversation's key material and counters live between page loads.
 * One localStorage item per (signed-in user, peer), under a versioned key:
 *
 *   parley:v1:<userId>:conversation:<peerId>  →  JSON ConversationRecord (see docs/protocol.md)
 *
 * Every read-modify-write runs under the Web Lock of the same name, so two tabs of one user never
 * interleave theirs: a tab reserves and persists a send counter before encrypting, and the other
 * tab's next reservation reads it. The commit fence (fence.ts) makes sure it reads the latest
 * value, which localStorage alone does not promise across tabs.
 */
import {
  type ConversationRecord,
  type ConversationStore,
  emptyConversation,
  isUserId,
} from '../protocol/index.js';
import { type CommitFence, fingerprintOf, StaleStorageError } from './fence.js';
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

export function createKeystore(options: KeystoreOptions): Keystore {
  const { storage, locks, userId, fence } = options;
  const timeoutMs = options.freshnessTimeoutMs ?? 3_000;
  if (!isUserId(userId)) throw new RangeError('not a user id');

  const parse = (raw: string | null, peerId: string): ConversationRecord =>
    parseStoredConversation(raw, userId, peerId) ?? emptyConversation(userId, peerId);

  /**
   * The stored value, once it is the one committed last (call under the lock). No item at all
   * is taken as it is: storage cleared by the user means no keys, so nothing to reuse.
   */
  const readCommitted = async (key: string): Promise<string | null> => {
    const expected = fence ? await fence.read(key) : undefined;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const raw = storage.getItem(key);
      if (expected === undefined || raw === null || (await fingerprintOf(raw)) === expected) {
        return raw;
      }
      if (Date.now() > deadline) {
        throw new StaleStorageError('localStorage did not catch up with another tab in time');
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const commit = async (key: string, value: string | null) => {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
    await fence?.write(key, await fingerprintOf(value));
  };

  return {
    userId,

    conversation(peerId) {
      if (!isUserId(peerId) || peerId === userId) throw new RangeError('not a peer id');
      const key = conversationKey(userId, peerId);
      return {
        update: (step) =>
          locks.request(key, async () => {
            const record = parse(await readCommitted(key), peerId);
            const result = await step(record);
            await commit(key, JSON.stringify(record));
            return result;
          }),
        read: () => parse(storage.getItem(key), peerId),
        latest: () => locks.request(key, async () => parse(await readCommitted(key), peerId)),
      };
    },

    forget(peerId) {
      const key = conversationKey(userId, peerId);
      return locks.request(key, () => commit(key, null));
    },
  };
}
