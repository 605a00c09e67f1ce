/**
 * The part of the Web Storage interface the keystore uses: `localStorage` satisfies it in the
 * browser, `createMemoryStorage` in tests and benchmarks.
 */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** An in-memory Storage. Two "tabs" of one browser profile share one instance. */
export function createMemoryStorage(): StorageLike & { entries(): [string, string][] } {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      items.set(key, String(value));
    },
    removeItem: (key) => {
      items.delete(key);
    },
    entries: () => [...items.entries()],
  };
}
