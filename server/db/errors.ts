/**
 * The MySQL errors a caller expects (a unique key already taken, a foreign key naming no row),
 * seen through drizzle's wrapping.
 */

/** True when the error, or one it wraps in `cause` (drizzle wraps the driver's), is a duplicate key. */
export function isDuplicateEntry(error: unknown): boolean {
  return hasCode(error, 'ER_DUP_ENTRY');
}

/** True when an insert named a parent row (by a foreign key) that does not exist. */
export function isMissingReference(error: unknown): boolean {
  return hasCode(error, 'ER_NO_REFERENCED_ROW_2');
}

function hasCode(error: unknown, code: string): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: string }).code === code) return true;
  }
  return false;
}
