/**
 * The keystore: where each conversation's key material and counters live between page loads.
 * One localStorage item per (signed-in user, peer), under a versioned key:
 *
 *   parley:v1:<userId>:conversation:<peerId>  →  JSON ConversationRecord (see docs/protocol.md)
 *
 * Every read-modify-write runs under the Web Lock of the same name, so two tabs of one user never
 * interleave theirs: a tab reserves and persists a send counter before encrypting, and the other
 * tab's next reservation reads it.
 */
import {
  type ConversationRecord,
  type ConversationStore,
  emptyConversation,
  isUserId,
} from '../protocol/index.js';
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
  const { storage, locks, userId } = options;
  if (!isUserId(userId)) throw new RangeError('not a user id');

  const load = (peerId: string): ConversationRecord =>
    parseStoredConversation(storage.getItem(conversationKey(userId, peerId)), userId, peerId) ??
    emptyConversation(userId, peerId);

  return {
    userId,

    conversation(peerId) {
      if (!isUserId(peerId) || peerId === userId) throw new RangeError('not a peer id');
      const key = conversationKey(userId, peerId);
      return {
        update: (step) =>
          locks.request(key, async () => {
            const record = load(peerId);
            const result = await step(record);
            storage.setItem(key, JSON.stringify(record));
            return result;
          }),
        read: () => load(peerId),
      };
    },

    forget(peerId) {
      const key = conversationKey(userId, peerId);
      return locks.request(key, async () => storage.removeItem(key));
    },
  };
}
