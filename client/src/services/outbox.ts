/**
 * The outbox: every text the user sent that the server has not acknowledged yet, kept where a
 * reload (or a closed tab) cannot lose it. Pure queue logic over a storage adapter:
 * `outbox-storage.ts` keeps the items in IndexedDB in the browser; tests use the memory one.
 *
 * Each page load (a "tab") owns the items it is sending. The client message id is chosen when
 * the text is typed and never changes: the server stores one message per (sender, client
 * message id), so a resend, from this tab or another after a reload, is stored at most once.
 * Items of a tab that is gone (reloaded, closed) are adopted by the next tab that looks; an
 * adopted item is encrypted again under a fresh counter (same client id), so its counter can
 * never sit below one the relay already stored.
 */

export interface OutboxItem {
  clientMessageId: string;
  /** The signed-in user who typed it. */
  userId: string;
  peerId: string;
  /** The tab (page load) sending it. */
  owner: string;
  text: string;
  /** When it was typed, ms since the epoch. */
  createdAt: number;
  /** Its place in the send order (typing order; a Retry moves it to the end). */
  seq: number;
  /** The protocol message, once a counter was reserved for it. */
  wire?: string;
  /** Refused for good: shown as "not sent" with Retry. */
  failed?: string;
}

export interface OutboxStorage {
  /** Puts (adds or replaces) one item. */
  put(item: OutboxItem): Promise<void>;
  remove(clientMessageId: string): Promise<void>;
  /**
   * In one atomic step, hands `owner` every item of `userId` whose owner is not in `live` and
   * returns them; items of live owners are left alone.
   */
  adopt(userId: string, owner: string, live: ReadonlySet<string>): Promise<OutboxItem[]>;
  /**
   * Keeps a text just typed at once, synchronously, until its first `put` has reached storage
   * (optional): a page that goes right after Enter, before any asynchronous write or frame
   * could finish, does not lose it; `adopt` finds it too.
   */
  keepNow?(item: OutboxItem): void;
}

/** Which tabs are open: this tab's id, and the ids of every tab alive now (this one included). */
export interface TabPresence {
  readonly id: string;
  live(): Promise<ReadonlySet<string>>;
}

export interface Outbox {
  /** Adds a text to send to `peerId`; written to storage in the background (see settled). */
  add(peerId: string, text: string, clientMessageId: string): OutboxItem;
  /** The items of a conversation still to send, in send order (failed ones excluded). */
  queue(peerId: string): OutboxItem[];
  /** A counter was reserved for `item`: remember its wire (nothing, once it is done). */
  encrypted(item: OutboxItem, wire: string): void;
  /** The server stored it: forget it. */
  done(item: OutboxItem): void;
  /** Refused for good. */
  failed(item: OutboxItem, reason: string): void;
  /** The user pressed Retry: back to the end of the queue, to be encrypted afresh. */
  retry(item: OutboxItem): void;
  /** Takes over the items of tabs that are gone; returns them (encrypt them afresh). */
  adoptOrphans(): Promise<OutboxItem[]>;
  /** Resolves once every write so far has reached storage (or failed). */
  settled(): Promise<void>;
}

export interface OutboxOptions {
  storage: OutboxStorage;
  presence: TabPresence;
  userId: string;
  now: () => number;
  /** Told when a write failed (storage full…); the item still goes from memory. */
  onStorageError?: (error: unknown) => void;
}

/** The send order: by seq, then client id (a stable tie-break across tabs). */
export function sendOrder(items: readonly OutboxItem[]): OutboxItem[] {
  return [...items].sort(
    (a, b) => a.seq - b.seq || (a.clientMessageId < b.clientMessageId ? -1 : 1),
  );
}

export function createOutbox(options: OutboxOptions): Outbox {
  const { storage, presence, userId, now } = options;
  const items = new Map<string, OutboxItem>();
  let lastSeq = 0;
  let writes: Promise<void> = Promise.resolve();
  /** Writes go to storage one at a time, in order, so the last write of an item wins. */
  const write = (step: () => Promise<void>) => {
    writes = writes.then(step).catch((error: unknown) => options.onStorageError?.(error));
  };
  const nextSeq = () => {
    lastSeq = Math.max(lastSeq + 1, now());
    return lastSeq;
  };
  const save = (item: OutboxItem) => {
    const copy = { ...item };
    write(() => storage.put(copy));
  };

  return {
    add(peerId, text, clientMessageId) {
      const item: OutboxItem = {
        clientMessageId,
        userId,
        peerId,
        owner: presence.id,
        text,
        createdAt: now(),
        seq: nextSeq(),
      };
      items.set(clientMessageId, item);
      storage.keepNow?.({ ...item });
      save(item);
      return item;
    },
    queue: (peerId) =>
      sendOrder([...items.values()].filter((i) => i.peerId === peerId && !i.failed)),
    encrypted(item, wire) {
      // Done meanwhile (the history showed it stored): nothing to keep.
      if (items.get(item.clientMessageId) !== item) return;
      item.wire = wire;
      save(item);
    },
    done(item) {
      items.delete(item.clientMessageId);
      write(() => storage.remove(item.clientMessageId));
    },
    failed(item, reason) {
      if (items.get(item.clientMessageId) !== item) return;
      item.failed = reason;
      delete item.wire;
      save(item);
    },
    retry(item) {
      delete item.failed;
      delete item.wire;
      item.seq = nextSeq();
      items.set(item.clientMessageId, item);
      save(item);
    },
    async adoptOrphans() {
      const live = await presence.live();
      await writes;
      const adopted = await storage.adopt(userId, presence.id, live);
      const fresh: OutboxItem[] = [];
      for (const item of sendOrder(adopted)) {
        if (items.has(item.clientMessageId)) continue;
        delete item.wire;
        lastSeq = Math.max(lastSeq, item.seq);
        items.set(item.clientMessageId, item);
        fresh.push(item);
      }
      return fresh;
    },
    settled: () => writes,
  };
}

/** Items in memory, shared by simulated tabs in tests (a reload keeps the same storage). */
export function createMemoryOutboxStorage(): OutboxStorage & { items(): OutboxItem[] } {
  const stored = new Map<string, OutboxItem>();
  return {
    put: async (item) => {
      stored.set(item.clientMessageId, { ...item });
    },
    remove: async (id) => {
      stored.delete(id);
    },
    adopt: async (userId, owner, live) => {
      const adopted: OutboxItem[] = [];
      for (const item of stored.values()) {
        if (item.userId !== userId || live.has(item.owner)) continue;
        item.owner = owner;
        adopted.push({ ...item });
      }
      return adopted;
    },
    items: () => [...stored.values()].map((item) => ({ ...item })),
  };
}

/** A presence for tests: tabs are live until `leave`. */
export function createMemoryPresence(): {
  tab(id: string): TabPresence;
  leave(id: string): void;
} {
  const live = new Set<string>();
  return {
    tab(id) {
      live.add(id);
      return { id, live: async () => new Set(live) };
    },
    leave: (id) => live.delete(id),
  };
}
