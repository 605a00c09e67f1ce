/**
 * Every sign-up, sign-in, session and account route, behind the CSRF origin check (all their
 * state-changing requests) and, on the endpoints that weigh a secret, a per-IP token bucket.
 */

import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import type { AuthContexts } from '../auth/auth-contexts.js';
import type { HashLimiter } from '../auth/password-hash.js';
import type { TokenBucketLimiter } from '../auth/rate-limit.js';
import { busyResponse } from '../http/errors.js';
import { ipRateLimit } from '../http/ip-rate-limit.js';
import { requireSameOrigin } from '../http/same-origin.js';
import { accountRoutes } from './account.js';
import { captchaRoutes } from './captcha.js';
import { sessionRoutes } from './session.js';
import { signinRoutes } from './signin.js';
import { signupRoutes } from './signup.js';
import { unlockRoutes } from './unlock.js';

/** What a sign-in refused for a full hashing line is told to wait. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

const AUTH_PREFIXES = ['/api/signup/*', '/api/signin/*', '/api/unlock/*', '/api/auth/*'];

/** What the HTTP gate in front of the auth routes needs: the origin, the per-IP bucket, the hashing line. */
export interface AuthGate {
  publicOrigin: string;
  ipLimiter: TokenBucketLimiter;
  hashLimiter: HashLimiter;
}

export function authRoutes(ctx: AuthContexts, gate: AuthGate) {
  const app = new Hono();
  const sameOrigin = requireSameOrigin(gate.publicOrigin);
  const limit = ipRateLimit(gate.ipLimiter);
  for (const prefix of [...AUTH_PREFIXES, '/api/session/*', '/api/session', '/api/account/*']) {
    app.use(prefix, sameOrigin);
  }
  // Past the hashing line, a request that may hash (any POST here) is refused before it changes
  // anything (no attempt, no failure counted): 503 with Retry-After, not a pile-up.
  const hashAdmission: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const release = gate.hashLimiter.tryAdmit();
    if (!release) return busyResponse(c, BUSY_RETRY_AFTER_SECONDS);
    try {
      await next();
    } finally {
      release();
    }
  };
  // The reauthentication and the password change weigh the current password too.
  for (const prefix of [...AUTH_PREFIXES, '/api/session/reauth', '/api/account/password']) {
    app.use(prefix, limit);
    app.use(prefix, hashAdmission);
  }
  app.route('/', captchaRoutes(ctx.captchas));
  app.route('/', signupRoutes(ctx));
  app.route('/', signinRoutes(ctx));
  app.route('/', unlockRoutes(ctx));
  app.route('/', sessionRoutes(ctx));
  app.route('/', accountRoutes(ctx));
  return app;
}
