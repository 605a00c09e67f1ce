import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import mysql from 'mysql2/promise';
import * as schema from './schema.js';

export type Db = MySql2Database<typeof schema>;

export interface Database {
  db: Db;
  pool: mysql.Pool;
  /**
   * True when the server answers a trivial query within the timeout. It runs on a connection
   * of its own, never the pool's, so a pool held by slow queries cannot make it wait.
   */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  connectionLimit?: number;
  /**
   * The longest a query waits for a pooled connection (mysql2's pool has no such bound: it
   * queues without a time limit). Past it the query fails with code POOL_ACQUIRE_TIMEOUT.
   */
  acquireTimeoutMs?: number;
  /** Queries that may wait for a connection at once; one more fails at once (POOL_QUEUE_FULL). */
  queueLimit?: number;
}

export const DEFAULT_ACQUIRE_TIMEOUT_MS = 5_000;
export const DEFAULT_QUEUE_LIMIT = 500;

/** A connection pool and its drizzle handle. The only place that opens pooled connections. */
export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: options.connectionLimit ?? 10,
    queueLimit: options.queueLimit ?? DEFAULT_QUEUE_LIMIT,
    connectTimeout: 5_000,
    // Store and read DATETIME as UTC, whatever the server's time zone.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    // The relay's INSERT is a prepared statement per batch size (up to 200): bound how many each
    // connection keeps (the server's max_prepared_stmt_count is for all connections together).
    maxPreparedStatements: 256,
  });
  boundAcquire(pool, options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS);
  const db = drizzle(pool, { schema, mode: 'default' });
  const health = createHealthProbe(url);
  return {
    db,
    pool,
    ping: (timeoutMs = 900) => health.ping(timeoutMs),
    close: async () => {
      health.close();
      await pool.end();
    },
  };
}

type CoreConnection = { release(): void };
type GetConnectionCallback = (error: Error | null, connection?: CoreConnection) => void;
type CorePool = { getConnection(callback: GetConnectionCallback): void };

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Wraps the core pool's getConnection, which every pool query and execute (and drizzle's
 * transactions) go through, with a timeout: a request still queued when it fires fails, and
 * the connection it would have got later goes straight back to the pool.
 */
function boundAcquire(pool: mysql.Pool, timeoutMs: number): void {
  const core = (pool as unknown as { pool: CorePool }).pool;
  const acquire = core.getConnection.bind(core);
  core.getConnection = (callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      callback(
        codedError(
          'POOL_ACQUIRE_TIMEOUT',
          `No database connection became free within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    acquire((error, connection) => {
      clearTimeout(timer);
      if (settled) {
        connection?.release();
        return;
      }
      settled = true;
      if (error?.message === 'Queue limit reached.') {
        callback(codedError('POOL_QUEUE_FULL', error.message));
      } else if (error?.message === 'Pool is closed.') {
        callback(codedError('POOL_CLOSED', error.message));
      } else {
        callback(error, connection);
      }
    });
  };
}

/**
 * `SELECT 1` on one dedicated connection, opened on first use and reopened after a failure.
 * Concurrent pings share the one in flight; each gives up after its timeout.
 */
function createHealthProbe(url: string) {
  let connection: mysql.Connection | undefined;
  let inFlight: Promise<boolean> | undefined;
  const drop = () => {
    connection?.destroy();
    connection = undefined;
  };
  const probe = async (timeoutMs: number): Promise<boolean> => {
    try {
      if (!connection) {
        const opened = await mysql.createConnection({ uri: url, connectTimeout: timeoutMs });
        // A connection the server closes while idle reports it as an event: reopen next time.
        opened.on('error', () => {
          if (connection === opened) drop();
        });
        connection = opened;
      }
      await connection.query({ sql: 'SELECT 1', timeout: timeoutMs });
      return true;
    } catch {
      drop();
      return false;
    }
  };
  return {
    ping(timeoutMs: number): Promise<boolean> {
      inFlight ??= probe(timeoutMs).finally(() => {
        inFlight = undefined;
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      return Promise.race([inFlight, late]).finally(() => clearTimeout(timer));
    },
    close: drop,
  };
}
