/**
 * The origin half of CSRF protection: a state-changing request must come from our own pages.
 * Browsers send `Origin` on every cross-origin request and on same-origin POSTs, and
 * `Sec-Fetch-Site` on every request; the public origin is the configured one, never derived
 * from the request's Host.
 */
import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSameOriginRequest(
  headers: { origin: string | undefined; secFetchSite: string | undefined },
  publicOrigin: string,
): boolean {
  if (headers.origin !== undefined) return headers.origin === publicOrigin;
  return headers.secFetchSite === 'same-origin';
}

export function requireSameOrigin(publicOrigin: string): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const ok = isSameOriginRequest(
      { origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site') },
      publicOrigin,
    );
    if (!ok) {
      return errorResponse(c, 403, 'cross_origin');
    }
    return next();
  };
}
