/** The keystore adapter: conversation state in localStorage, guarded by cross-tab locks. */

export {
  type CommitFence,
  createMemoryFence,
  indexedDbFence,
  StaleStorageError,
} from './fence.js';
export {
  conversationKey,
  createKeystore,
  type Keystore,
  type KeystoreOptions,
} from './keystore.js';
export { createMemoryLocks, type LockManagerLike, webLocks } from './locks.js';
export { createMemoryStorage, type StorageLike } from './storage.js';
