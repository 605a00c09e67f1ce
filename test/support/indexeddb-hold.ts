/** Holding an IndexedDB object store busy from a page, to keep another tab's write waiting. */
import type { Page } from 'playwright-core';

/**
 * Keeps a read-only transaction on `store` of `database` running in `page` until `release`
 * (30 s at most): other tabs' reads of it run beside it, their writes wait for it to end (and
 * a page that goes meanwhile loses its pending write). `release` resolves with the number of
 * reads it made to stay alive.
 */
export async function holdObjectStore(
  page: Page,
  database: string,
  store: string,
): Promise<{ release(): Promise<number> }> {
  await page.evaluate(
    ([databaseName, storeName]) =>
      new Promise<void>((resolve, reject) => {
        const win = window as unknown as { storeHeld?: Promise<number>; storeRelease?: boolean };
        const request = indexedDB.open(databaseName);
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const objects = request.result.transaction(storeName, 'readonly').objectStore(storeName);
          const deadline = Date.now() + 30_000;
          win.storeHeld = new Promise<number>((done) => {
            let reads = 0;
            const spin = () => {
              if (win.storeRelease || Date.now() > deadline) {
                done(reads);
                return;
              }
              reads += 1;
              objects.get('held').onsuccess = spin;
            };
            spin();
          });
          resolve();
        };
      }),
    [database, store] as const,
  );
  return {
    release: () =>
      page.evaluate(() => {
        const win = window as unknown as { storeHeld: Promise<number>; storeRelease: boolean };
        win.storeRelease = true;
        return win.storeHeld;
      }),
  };
}
