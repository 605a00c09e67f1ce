import { Hono } from 'hono';
import type { Database } from '../db/client.js';
import { errorResponse } from '../http/errors.js';

/**
 * How long /healthz waits for the database's answer: it replies within about a second even when
 * the database is slow or locked, or every pooled connection is busy (the probe has its own).
 */
export const HEALTH_TIMEOUT_MS = 800;

/** GET /healthz: 200 only while the database answers, else 503 (for load balancers, compose). */
export function healthRoutes(database: Pick<Database, 'ping'>) {
  return new Hono().get('/healthz', async (c) => {
    c.header('Cache-Control', 'no-store');
    if (await database.ping(HEALTH_TIMEOUT_MS)) return c.json({ status: 'ok' });
    return errorResponse(c, 503, 'database_unavailable', 'The database does not answer');
  });
}
