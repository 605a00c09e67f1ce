/** A token bucket per client IP on the auth endpoints (NIST SP 800-63B §5.2.2). */
import type { MiddlewareHandler } from 'hono';
import type { TokenBucketLimiter } from '../auth/rate-limit.js';
import { errorResponse } from './errors.js';

export function ipRateLimit(limiter: TokenBucketLimiter): MiddlewareHandler {
  return async (c, next) => {
    const ip = (c.get('clientIp') as string | undefined) ?? 'unknown';
    const verdict = limiter.take(ip);
    if (!verdict.allowed) {
      c.header('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterSeconds))));
      return errorResponse(
        c,
        429,
        'rate_limited',
        `Too many attempts from your network. Wait ${Math.max(1, Math.ceil(verdict.retryAfterSeconds))} seconds and try again.`,
        { retryAfterSeconds: Math.ceil(verdict.retryAfterSeconds) },
      );
    }
    return next();
  };
}
