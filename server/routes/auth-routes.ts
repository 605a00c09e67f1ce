/**
 * Every sign-up, sign-in, session and account route, behind the CSRF origin check (all their
 * state-changing requests) and, on the endpoints that weigh a secret, a per-IP token bucket.
 */
import { Hono } from 'hono';
import type { AuthRuntime } from '../auth/auth-runtime.js';
import { ipRateLimit } from '../http/ip-rate-limit.js';
import { requireSameOrigin } from '../http/same-origin.js';
import { accountRoutes } from './account.js';
import { captchaRoutes } from './captcha.js';
import { sessionRoutes } from './session.js';
import { signinRoutes } from './signin.js';
import { signupRoutes } from './signup.js';
import { unlockRoutes } from './unlock.js';

const AUTH_PREFIXES = ['/api/signup/*', '/api/signin/*', '/api/unlock/*', '/api/auth/*'];

export function authRoutes(rt: AuthRuntime) {
  const app = new Hono();
  const sameOrigin = requireSameOrigin(rt.config.publicOrigin);
  const limit = ipRateLimit(rt.ipLimiter);
  for (const prefix of [...AUTH_PREFIXES, '/api/session/*', '/api/session', '/api/account/*']) {
    app.use(prefix, sameOrigin);
  }
  // The reauthentication and the password change weigh the current password too.
  for (const prefix of [...AUTH_PREFIXES, '/api/session/reauth', '/api/account/password']) {
    app.use(prefix, limit);
  }
  app.route('/', captchaRoutes(rt));
  app.route('/', signupRoutes(rt));
  app.route('/', signinRoutes(rt));
  app.route('/', unlockRoutes(rt));
  app.route('/', sessionRoutes(rt));
  app.route('/', accountRoutes(rt));
  return app;
}
