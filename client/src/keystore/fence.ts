/**
 * The commit fence: makes the keystore's read-modify-write safe across tabs even though
 * localStorage is not. In Chromium each renderer reads localStorage from its own cache, which
 * other tabs' writes reach asynchronously, on a channel not ordered with the Web Lock's grant:
 * a tab could take the lock and still read the record as it was before the previous holder's
 * write, and so reserve a send counter that was already used (an AES-GCM IV reused under one
 * key). Every stored value carries a commit number, one more than the value it replaces; the
 * fence keeps, in IndexedDB (whose read-write transactions are consistent across tabs), the
 * number committed last under each lock, and the next holder waits until its localStorage
 * shows that number or a higher one before it reads. Higher: a page that went (a reload, a
 * closed tab) after its localStorage write and before its fence write left a newer value than
 * the fence names, and that value is the one to read. Key material stays in localStorage.
 */

/**
 * What the fence holds for a name: a commit number, or (written by a client from before commit
 * numbers) the SHA-256 fingerprint of the value committed last.
 */
export type FenceMark = number | string;

export interface CommitFence {
  /** The mark committed last under `name`, or undefined when there is none yet. */
  read(name: string): Promise<FenceMark | undefined>;
  /** Records commit number `commit` for `name`; resolves once the write is committed. */
  write(name: string, commit: number): Promise<void>;
}

/**
 * SHA-256 of a stored value, hex; `null` (no item) has a fingerprint of its own. Only to check
 * a value against a fence an older client wrote.
 */
export async function fingerprintOf(value: string | null): Promise<string> {
  if (value === null) return 'absent';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const STORE = 'fences';

/** The fence in the browser: one IndexedDB object store of marks. Pass `indexedDB`. */
export function indexedDbFence(factory: IDBFactory, databaseName = 'parley-keystore'): CommitFence {
  let opening: Promise<IDBDatabase> | undefined;
  const open = () => {
    opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opening;
  };
  const transact = async <T>(
    mode: IDBTransactionMode,
    work: (store: IDBObjectStore) => IDBRequest | undefined,
  ): Promise<T> => {
    const database = await open();
    return new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request?.result as T);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    read: (name) => transact<FenceMark | undefined>('readonly', (store) => store.get(name)),
    write: (name, commit) =>
      transact<void>('readwrite', (store) => {
        store.put(commit, name);
        return undefined;
      }),
  };
}

/** A fence in memory, shared by simulated tabs in tests. */
export function createMemoryFence(): CommitFence {
  const marks = new Map<string, FenceMark>();
  return {
    read: async (name) => marks.get(name),
    write: async (name, commit) => {
      marks.set(name, commit);
    },
  };
}

/**
 * Thrown when localStorage never caught up with the fence (it shows an older commit than the
 * fence names): the keystore refuses to go on rather than reuse a counter.
 */
export class StaleStorageError extends Error {
  override name = 'StaleStorageError';
}
