/**
 * requireSession (server/http/require-session.ts) on a small app of its own, against sessions in
 * a real database made by a real sign-up: the cookie, the anti-CSRF token on state-changing
 * requests, the session kinds a route allows, and an ended session's cookie being erased.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { signUp } from '../../test/support/api-client.js';
import { authApp, uniqueName } from '../../test/support/auth-fixture.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { createAuthContexts } from '../auth/auth-contexts.js';
import { createLocalCluster } from '../cluster/cluster.js';
import { requireSession, type SessionEnv } from '../http/require-session.js';
import { SESSION_COOKIE } from '../http/session-cookie.js';

const testDb = useTestDatabase();

async function setUp() {
  const env = authApp(testDb);
  const client = env.client();
  await signUp(client, env.captcha, uniqueName('guard'), 'juniper trombone glacier');
  const { sessions } = createAuthContexts({
    ...env.deps,
    db: testDb.database.db,
    cluster: createLocalCluster(env.clock),
  });
  const app = new Hono<SessionEnv>()
    .use('/full/*', requireSession(sessions, ['full']))
    .use('/rebind/*', requireSession(sessions, ['rebind']))
    .all('*', (c) => c.json({ userId: c.get('session').userId, kind: c.get('session').kind }));
  const call = (path: string, method = 'GET', headers: Record<string, string> = {}) =>
    app.request(path, { method, headers });
  const cookie = `${SESSION_COOKIE}=${client.cookie}`;
  return { env, client, call, cookie, csrf: client.csrf ?? '' };
}

describe('requireSession', () => {
  it('lets a full session through to the route, which sees it', async () => {
    const { client, call, cookie } = await setUp();
    const me = await client.get('/api/users/me');
    const response = await call('/full/thing', 'GET', { cookie });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: Number(me.body.id), kind: 'full' });
  });

  it('401 not_signed_in without a cookie or with a token no session has', async () => {
    const { call } = await setUp();
    const cases: Record<string, string>[] = [{}, { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` }];
    for (const headers of cases) {
      const response = await call('/full/thing', 'GET', headers);
      expect(response.status).toBe(401);
      expect((await response.json()).error.code).toBe('not_signed_in');
    }
  });

  it("a state-changing request needs the session's anti-CSRF token", async () => {
    const { call, cookie, csrf } = await setUp();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const without = await call('/full/thing', method, { cookie });
      expect(without.status, method).toBe(403);
      expect((await without.json()).error.code).toBe('csrf_token_invalid');
      const wrong = await call('/full/thing', method, { cookie, 'x-csrf-token': `${csrf}x` });
      expect(wrong.status, method).toBe(403);
      expect((await call('/full/thing', method, { cookie, 'x-csrf-token': csrf })).status).toBe(
        200,
      );
    }
  });

  it('403 session_restricted, naming the kind, when the route allows other kinds only', async () => {
    const { call, cookie } = await setUp();
    const response = await call('/rebind/thing', 'GET', { cookie });
    expect(response.status).toBe(403);
    const error = (await response.json()).error;
    expect(error.code).toBe('session_restricted');
    expect(error.details).toEqual({ kind: 'full' });
  });

  it('an idle session has ended: 401 session_expired, and the cookie is erased', async () => {
    const { env, call, cookie } = await setUp();
    env.clock.advance(env.deps.config.auth.sessionIdleMs + 60_000);
    const response = await call('/full/thing', 'GET', { cookie });
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('session_expired');
    expect(response.headers.get('set-cookie')).toMatch(
      new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`),
    );
  });
});
