/**
 * The outbox's browser adapters: items in IndexedDB, whose read-write transactions are atomic
 * and consistent across tabs (localStorage is neither), and tab presence from the Web Locks API:
 * each page load holds a lock named after its id for as long as it lives, so the locks held
 * are the tabs alive, and a tab that closed or reloaded has let go of its lock.
 */
import type { OutboxItem, OutboxStorage, TabPresence } from './outbox.js';

const STORE = 'items';
const BY_USER = 'userId';

export function indexedDbOutboxStorage(
  factory: IDBFactory,
  databaseName = 'parley-outbox',
): OutboxStorage {
  let opening: Promise<IDBDatabase> | undefined;
  const open = () => {
    opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(databaseName, 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: 'clientMessageId' });
        store.createIndex(BY_USER, 'userId');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opening;
  };
  const transact = async <T>(
    mode: IDBTransactionMode,
    work: (store: IDBObjectStore, done: (value: T) => void) => void,
  ): Promise<T> => {
    const database = await open();
    return new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      let result: T;
      work(transaction.objectStore(STORE), (value) => {
        result = value;
      });
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    put: (item) =>
      transact<void>('readwrite', (store) => {
        store.put(item);
      }),
    remove: (clientMessageId) =>
      transact<void>('readwrite', (store) => {
        store.delete(clientMessageId);
      }),
    adopt: (userId, owner, live) =>
      transact<OutboxItem[]>('readwrite', (store, done) => {
        const request = store.index(BY_USER).getAll(userId);
        request.onsuccess = () => {
          const adopted: OutboxItem[] = [];
          for (const item of request.result as OutboxItem[]) {
            if (live.has(item.owner)) continue;
            item.owner = owner;
            store.put(item);
            adopted.push(item);
          }
          done(adopted);
        };
      }),
  };
}

const TAB_LOCK = 'parley:v1:tab:';

/**
 * Holds this tab's presence lock until `release` (the chat page leaves) or the page goes away;
 * resolves once it is held.
 */
export async function webLockPresence(
  locks: LockManager,
  id: string,
): Promise<TabPresence & { release(): void }> {
  let release: () => void = () => undefined;
  await new Promise<void>((granted) => {
    void locks.request(`${TAB_LOCK}${id}`, { mode: 'exclusive' }, () => {
      granted();
      return new Promise<void>((done) => {
        release = done;
      });
    });
  });
  return {
    id,
    release: () => release(),
    async live() {
      const snapshot = await locks.query();
      const names = (snapshot.held ?? []).map((lock) => lock.name ?? '');
      return new Set(
        names.filter((name) => name.startsWith(TAB_LOCK)).map((n) => n.slice(TAB_LOCK.length)),
      );
    },
  };
}
