import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  clearSessionCookie,
  readSessionCookie,
  SESSION_COOKIE,
  writeSessionCookie,
} from './session-cookie.js';

const app = new Hono()
  .post('/in', (c) => {
    writeSessionCookie(c, 'tok-123');
    return c.body(null, 204);
  })
  .post('/out', (c) => {
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/who', (c) => c.json({ token: readSessionCookie(c) ?? null }));

describe('the session cookie', () => {
  it('is __Host- prefixed, Secure, HttpOnly, SameSite=Strict, Path=/, with no Domain, Max-Age or Expires', async () => {
    const cookie = (await app.request('/in', { method: 'POST' })).headers.get('set-cookie') ?? '';
    expect(SESSION_COOKIE.startsWith('__Host-')).toBe(true);
    const [pair, ...attributes] = cookie.split(/;\s*/);
    expect(pair).toBe(`${SESSION_COOKIE}=tok-123`);
    expect(attributes.map((a) => a.toLowerCase()).sort()).toEqual(
      ['httponly', 'path=/', 'samesite=strict', 'secure'].sort(),
    );
  });

  it('is read back from the request, and absent when not sent or under another name', async () => {
    const read = async (cookie?: string) =>
      (await (await app.request('/who', cookie ? { headers: { cookie } } : {})).json()).token;
    expect(await read(`${SESSION_COOKIE}=tok-123; other=1`)).toBe('tok-123');
    expect(await read()).toBeNull();
    expect(await read('parley-session=tok-123')).toBeNull();
  });

  it('is erased on sign-out with the same attributes (a __Host- cookie is only replaced by one)', async () => {
    const cookie = (await app.request('/out', { method: 'POST' })).headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=;`));
    expect(cookie).toMatch(/Max-Age=0/);
    for (const attribute of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) {
      expect(cookie).toContain(attribute);
    }
    expect(cookie).not.toMatch(/Domain=/i);
  });
});
