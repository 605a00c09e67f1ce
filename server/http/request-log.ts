import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/** One structured log line per request: method, path (never the query), status, duration. */
export function requestLog(logger: Logger, clock: Clock): MiddlewareHandler {
  return async (c, next) => {
    const started = clock.now().getTime();
    await next();
    logger.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: clock.now().getTime() - started,
      ip: c.get('clientIp'),
    });
  };
}
