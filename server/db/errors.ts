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

/**
 * Errors that say the database cannot be reached or cannot serve now (down, restarting, the
 * connection lost or killed, no pooled connection within the bound, a lock wait given up):
 * transient, answered with 503 or a retryable refusal, never a 500.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'POOL_ACQUIRE_TIMEOUT',
  'POOL_QUEUE_FULL',
  'POOL_CLOSED',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const { code, fatal } = e as { code?: string; fatal?: boolean };
    if ((code !== undefined && UNAVAILABLE_CODES.has(code)) || fatal === true) return true;
  }
  return false;
}

/**
 * The short form of a database error for a log line: the driver's code and the first line of its
 * message, no stack. Never the query wrapper's message: drizzle writes the bound values into it.
 */
export function databaseErrorSummary(error: unknown): { code?: string; message: string } {
  let innermost: unknown = error;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    innermost = e;
    const { code } = e as { code?: string };
    if (code !== undefined) return { code, message: firstLine(e.message) };
  }
  if (!(innermost instanceof Error)) return { message: firstLine(String(innermost)) };
  const wrapsQuery = 'query' in innermost || 'params' in innermost;
  return { message: wrapsQuery ? innermost.name : firstLine(innermost.message) };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
