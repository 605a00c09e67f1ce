/**
 * The commit fence: makes the keystore's read-modify-write safe across tabs even though
 * localStorage is not. In Chromium each renderer reads localStorage from its own cache, which
 * other tabs' writes reach asynchronously, on a channel not ordered with the Web Lock's grant:
 * a tab could take the lock and still read the record as it was before the previous holder's
 * write, and so reserve a send counter that was already used (an AES-GCM IV reused under one
 * key). The fence keeps, in IndexedDB (whose read-write transactions are consistent across
 * tabs), the fingerprint of the value last committed under each lock; the next holder waits
 * until its localStorage shows that value before it reads. Key material stays in localStorage.
 */

export interface CommitFence {
  /** The fingerprint committed last under `name`, or undefined when there is none yet. */
  read(name: string): Promise<string | undefined>;
  /** Records `fingerprint` for `name`; resolves once the write is committed. */
  write(name: string, fingerprint: string): Promise<void>;
}

/** SHA-256 of a stored value, hex; `null` (no item) has a fingerprint of its own. */
export async function fingerprintOf(value: string | null): Promise<string> {
  if (value === null) return 'absent';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const STORE = 'fences';

/** The fence in the browser: one IndexedDB object store of fingerprints. Pass `indexedDB`. */
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
    read: (name) => transact<string | undefined>('readonly', (store) => store.get(name)),
    write: (name, fingerprint) =>
      transact<void>('readwrite', (store) => {
        store.put(fingerprint, name);
        return undefined;
      }),
  };
}

/** A fence in memory, shared by simulated tabs in tests. */
export function createMemoryFence(): CommitFence {
  const fingerprints = new Map<string, string>();
  return {
    read: async (name) => fingerprints.get(name),
    write: async (name, fingerprint) => {
      fingerprints.set(name, fingerprint);
    },
  };
}

/** Thrown when localStorage never caught up with the fence: the keystore refuses to go on. */
export class StaleStorageError extends Error {
  override name = 'StaleStorageError';
}
