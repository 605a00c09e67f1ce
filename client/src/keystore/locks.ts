/**
 * Cross-tab mutual exclusion. In the browser, the Web Locks API (`navigator.locks`) grants a
 * named exclusive lock to one tab of the origin at a time; the keystore holds it around every
 * read-modify-write. Tests use `createMemoryLocks`, shared by the simulated tabs.
 */
export interface LockManagerLike {
  /** Runs `callback` while holding the exclusive lock `name`; resolves to its result. */
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** Adapts the Web Locks API. Pass `navigator.locks`; the keystore itself never reads globals. */
export function webLocks(locks: LockManager): LockManagerLike {
  return {
    request: <T>(name: string, callback: () => Promise<T>) =>
      locks.request(name, { mode: 'exclusive' }, () => callback()) as Promise<T>,
  };
}

/** A FIFO exclusive lock per name, inside one JavaScript realm. */
export function createMemoryLocks(): LockManagerLike & { held(name: string): boolean } {
  const tails = new Map<string, Promise<void>>();
  const holding = new Set<string>();
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const previous = tails.get(name) ?? Promise.resolve();
      const run = previous.then(async () => {
        holding.add(name);
        try {
          return await callback();
        } finally {
          holding.delete(name);
        }
      });
      const tail = run.then(
        () => undefined,
        () => undefined,
      );
      tails.set(name, tail);
      void tail.then(() => {
        if (tails.get(name) === tail) tails.delete(name);
      });
      return run;
    },
    held: (name) => holding.has(name),
  };
}
