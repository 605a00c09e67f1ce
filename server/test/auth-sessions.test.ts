import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiClient, signIn, signInPassword, signUp } from '../../test/support/api-client.js';
import { authApp, uniqueName } from '../../test/support/auth-fixture.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { SESSION_COOKIE } from '../http/session-cookie.js';

const testDb = useTestDatabase();

const PASSWORD = 'granite pelican harmonica';
const MINUTE = 60_000;

async function signedIn() {
  const env = authApp(testDb);
  const client = env.client();
  const name = uniqueName();
  const { key, codes } = await signUp(client, env.captcha, name, PASSWORD);
  return { ...env, client, name, key, codes };
}

describe('§7.1 session secret and cookie', () => {
  it('is 32 random bytes in a __Host- cookie: Secure, HttpOnly, SameSite=Strict, Path=/, no Domain, no Max-Age', async () => {
    const env = authApp(testDb);
    const client = env.client();
    const name = uniqueName();
    const { key } = await signUp(client, env.captcha, name, PASSWORD);
    const fresh = env.client();
    const { attempt, response } = await signInPassword(fresh, env.captcha, name, PASSWORD);
    const result = await fresh.post('/api/signin/key', {
      attempt,
      response: await key.assert(response.body.options),
    });
    const cookie =
      result.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=|Max-Age|Expires/i);
    const token = fresh.cookie ?? '';
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    // Only the SHA-256 of the token is stored.
    const stored = await env.rows('SELECT id_hash FROM sessions');
    const hash = createHash('sha256').update(token).digest('hex');
    expect(stored.map((row) => row.id_hash)).toContain(hash);
    expect(stored.map((row) => row.id_hash)).not.toContain(token);
  });

  it('a cookie planted before sign-in is useless after (new id after the second factor)', async () => {
    const { name, key, captcha, app, client } = await signedIn();
    const victim = new ApiClient(app, client.origin);
    victim.cookie = 'A'.repeat(43);
    const result = await signIn(victim, captcha, name, PASSWORD, key);
    expect(result.status).toBe(200);
    expect(victim.cookie).not.toBe('A'.repeat(43));
    const planted = victim.cookie;
    victim.cookie = 'A'.repeat(43);
    expect((await victim.get('/api/session')).status).toBe(401);
    victim.cookie = planted;
    expect((await victim.get('/api/session')).status).toBe(200);
  });

  it('§7.1 S¬: a password-only pending state gets nothing but the second-factor step', async () => {
    const { name, key, captcha, client } = await signedIn();
    const other = new ApiClient(client.app, client.origin);
    const { attempt, response } = await signInPassword(other, captcha, name, PASSWORD);
    expect(response.status).toBe(200);
    expect(other.cookie).toBeUndefined();
    expect((await other.get('/api/session')).status).toBe(401);
    expect((await other.get('/api/account')).status).toBe(401);
    const finished = await other.post('/api/signin/key', {
      attempt,
      response: await key.assert(response.body.options),
    });
    expect(finished.status).toBe(200);
  });
});

describe('§7.1 logout', () => {
  it('invalidates the session on the server and erases the cookie', async () => {
    const { client } = await signedIn();
    const token = client.cookie;
    const out = await client.post('/api/session/logout');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(new RegExp(`${SESSION_COOKIE}=;.*Max-Age=0`));
    expect(client.cookie).toBeUndefined();
    client.cookie = token;
    expect((await client.get('/api/session')).status).toBe(401);
  });

  it('sign out everywhere ends every session of the account', async () => {
    const { client, name, key, captcha, app } = await signedIn();
    const second = new ApiClient(app, client.origin);
    expect((await signIn(second, captcha, name, PASSWORD, key)).status).toBe(200);
    expect((await client.post('/api/session/logout-everywhere')).status).toBe(204);
    expect((await second.get('/api/session')).status).toBe(401);
  });
});

describe('§4.2.3 reauthentication limits', () => {
  it('ends after 30 min of inactivity (30 min 1 s → 401, row gone)', async () => {
    const { client, clock, rows } = await signedIn();
    clock.advance(30 * MINUTE - 1_000);
    expect((await client.get('/api/session')).status).toBe(200);
    clock.advance(30 * MINUTE + 1_000);
    const late = await client.get('/api/session');
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('session_expired');
    const hash = createHash('sha256')
      .update(String(client.cookie ?? ''))
      .digest('hex');
    expect(await rows('SELECT 1 FROM sessions WHERE id_hash = ?', [hash])).toEqual([]);
  });

  it('ended sessions are deleted when a new attempt begins: idle ones and those past 12 h', async () => {
    const idle = await signedIn();
    const old = await signedIn();
    const fresh = await signedIn();
    const hashOf = (client: ApiClient) =>
      createHash('sha256')
        .update(String(client.cookie ?? ''))
        .digest('hex');
    const now = fresh.clock.now().getTime();
    await fresh.rows('UPDATE sessions SET last_active_at = ? WHERE id_hash = ?', [
      new Date(now - 31 * MINUTE),
      hashOf(idle.client),
    ]);
    await fresh.rows('UPDATE sessions SET authenticated_at = ? WHERE id_hash = ?', [
      new Date(now - 12 * 60 * MINUTE - MINUTE),
      hashOf(old.client),
    ]);
    expect((await fresh.client.post('/api/signin/start')).status).toBe(200);
    const left = await fresh.rows('SELECT id_hash FROM sessions WHERE id_hash IN (?, ?, ?)', [
      hashOf(idle.client),
      hashOf(old.client),
      hashOf(fresh.client),
    ]);
    expect(left.map((row) => row.id_hash)).toEqual([hashOf(fresh.client)]);
  });

  it('background polls do not count as activity', async () => {
    const { client, clock } = await signedIn();
    for (let i = 0; i < 3; i += 1) {
      clock.advance(10 * MINUTE);
      const poll = await client.get('/api/session', { 'x-parley-background': '1' });
      if (i < 2) expect(poll.status).toBe(200);
      else expect(poll.status).toBe(401);
    }
  });

  it('ends 12 h after authentication even with activity (12 h 1 min → 401)', async () => {
    const { client, clock } = await signedIn();
    for (let elapsed = 0; elapsed < 12 * 60; elapsed += 20) {
      clock.advance(20 * MINUTE);
      const response = await client.get('/api/session');
      if (elapsed + 20 < 12 * 60) expect(response.status).toBe(200);
    }
    clock.advance(MINUTE);
    expect((await client.get('/api/session')).status).toBe(401);
  });

  it('§7.2 a password reauthentication before expiry extends it; after expiry only a full sign-in works', async () => {
    const { client, clock } = await signedIn();
    for (let i = 0; i < 35; i += 1) {
      clock.advance(20 * MINUTE);
      await client.get('/api/session');
    }
    // 11 h 40 min: reauthenticate, and the 12 h count starts again.
    const reauth = await client.post('/api/session/reauth', { password: PASSWORD });
    expect(reauth.status).toBe(200);
    clock.advance(25 * MINUTE);
    expect((await client.get('/api/session')).status).toBe(200);
    clock.advance(31 * MINUTE);
    expect((await client.get('/api/session')).status).toBe(401);
    const tooLate = await client.post('/api/session/reauth', { password: PASSWORD });
    expect(tooLate.status).toBe(401);
  });
});

describe('§7.1 anti-CSRF', () => {
  it('a state-changing request without the session token → 403, and the session lives on', async () => {
    const { client } = await signedIn();
    const token = client.csrf;
    client.csrf = undefined;
    const refused = await client.post('/api/session/logout');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_token_invalid');
    client.csrf = 'x'.repeat(43);
    expect((await client.post('/api/session/logout')).status).toBe(403);
    client.csrf = token;
    expect((await client.get('/api/session')).status).toBe(200);
  });

  it('a request from another origin → 403, even with the token', async () => {
    const { client } = await signedIn();
    const other = await client.post('/api/session/logout', {}, { origin: 'https://evil.example' });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('cross_origin');
    const noOrigin = await client.call(
      'POST',
      '/api/session/logout',
      {},
      {
        origin: '',
        'sec-fetch-site': 'cross-site',
      },
    );
    expect(noOrigin.status).toBe(403);
    const preAuth = await client.post('/api/signin/start', {}, { origin: 'https://evil.example' });
    expect(preAuth.status).toBe(403);
  });

  it('GET never changes state', async () => {
    const { client } = await signedIn();
    expect((await client.get('/api/session/logout')).status).toBe(404);
    expect((await client.get('/api/session')).status).toBe(200);
  });
});
