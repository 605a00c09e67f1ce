/**
 * Token buckets in front of routes: per client IP on the auth endpoints (NIST SP 800-63B
 * §5.2.2), or per any other key a route chooses (the signed-in user, for contact look-ups).
 */
import type { Context, Env, MiddlewareHandler } from 'hono';
import type { TokenBucketLimiter } from '../auth/rate-limit.js';
import { errorResponse } from './errors.js';

/** 429 with Retry-After once the bucket of the request's key is empty. */
export function rateLimit<E extends Env>(
  limiter: TokenBucketLimiter,
  keyOf: (c: Context<E>) => string,
  message = 'Too many attempts from your network.',
): MiddlewareHandler<E> {
  return async (c, next) => {
    const verdict = await limiter.take(keyOf(c));
    if (!verdict.allowed) {
      const seconds = Math.max(1, Math.ceil(verdict.retryAfterSeconds));
      c.header('Retry-After', String(seconds));
      return errorResponse(
        c,
        429,
        'rate_limited',
        `${message} Wait ${seconds} seconds and try again.`,
        { retryAfterSeconds: Math.ceil(verdict.retryAfterSeconds) },
      );
    }
    return next();
  };
}

export function ipRateLimit(limiter: TokenBucketLimiter): MiddlewareHandler {
  return rateLimit(limiter, (c) => (c.get('clientIp') as string | undefined) ?? 'unknown');
}
