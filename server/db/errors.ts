/** The MySQL errors a caller expects (a unique key already taken), seen through drizzle's wrapping. */

/** True when the error, or one it wraps in `cause` (drizzle wraps the driver's), is a duplicate key. */
export function isDuplicateEntry(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: string }).code === 'ER_DUP_ENTRY') return true;
  }
  return false;
}
