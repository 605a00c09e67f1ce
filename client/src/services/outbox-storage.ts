/**
 * The outbox's browser adapters: items in IndexedDB, whose read-write transactions are atomic
 * and consistent across tabs (localStorage is neither), and tab presence from the Web Locks API:
 * each page load holds a lock named after its id for as long as it lives, so the locks held
 * are the tabs alive, and a tab that closed or reloaded has let go of its lock.
 *
 * IndexedDB writes are asynchronous: a page reloaded right after Enter could go before the
 * text's first write (or its frame) finished, and the text was lost (a new-user trial: 1 in
 * about 150 send-and-reload rounds). So a text just typed is also kept in a localStorage
 * journal, written synchronously, `parley:v1:outbox:<client message id>` → the item's JSON,
 * until its first write to IndexedDB completes; `adopt` moves the journal items of tabs gone
 * into IndexedDB, in its transaction, before it takes them over.
 */
import type { OutboxItem, OutboxStorage, TabPresence } from './outbox.js';

const STORE = 'items';
const BY_USER = 'userId';
const JOURNAL = 'parley:v1:outbox:';

/** localStorage, as the journal uses it. */
export type JournalStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

/** The journal's items (unparsable entries are dropped). */
function journalItems(journal: JournalStorage): OutboxItem[] {
  const items: OutboxItem[] = [];
  const keys: string[] = [];
  for (let i = 0; i < journal.length; i += 1) {
    const key = journal.key(i);
    if (key?.startsWith(JOURNAL)) keys.push(key);
  }
  for (const key of keys) {
    try {
      const item = JSON.parse(journal.getItem(key) ?? '') as OutboxItem;
      if (typeof item?.clientMessageId === 'string' && typeof item.text === 'string') {
        items.push(item);
        continue;
      }
    } catch {
      // Not an item: drop it below.
    }
    journal.removeItem(key);
  }
  return items;
}

export function indexedDbOutboxStorage(
  factory: IDBFactory,
  journal?: JournalStorage,
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
  const unjournal = (clientMessageId: string) =>
    journal?.removeItem(`${JOURNAL}${clientMessageId}`);
  return {
    keepNow(item) {
      try {
        journal?.setItem(`${JOURNAL}${item.clientMessageId}`, JSON.stringify(item));
      } catch {
        // localStorage full: IndexedDB alone, as before.
      }
    },
    put: async (item) => {
      await transact<void>('readwrite', (store) => {
        store.put(item);
      });
      unjournal(item.clientMessageId);
    },
    remove: async (clientMessageId) => {
      unjournal(clientMessageId);
      await transact<void>('readwrite', (store) => {
        store.delete(clientMessageId);
      });
    },
    adopt: async (userId, owner, live) => {
      // Journal items of tabs gone go into the store first, in the same transaction; an item
      // already there (its write completed, or another tab moved it) is left as it is.
      const orphans = journal
        ? journalItems(journal).filter((item) => item.userId === userId && !live.has(item.owner))
        : [];
      const adopted = await transact<OutboxItem[]>('readwrite', (store, done) => {
        for (const orphan of orphans) {
          store.add(orphan).onerror = (event) => {
            // Already stored: not an error for the transaction.
            event.preventDefault();
            event.stopPropagation();
          };
        }
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
      });
      for (const orphan of orphans) unjournal(orphan.clientMessageId);
      return adopted;
    },
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
