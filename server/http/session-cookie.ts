/**
 * The session cookie (NIST SP 800-63B §7.1.1): `__Host-` prefixed (so Secure, Path=/ and no
 * Domain are enforced by the browser too), HttpOnly, SameSite=Strict, and no Max-Age or Expires:
 * it never outlives the browser session, and the server ends it sooner.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = '__Host-parley-session';

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export function writeSessionCookie(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    secure: true,
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
  });
}

/** Erases the cookie in the browser (§7.1: erased on logout). */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, {
    secure: true,
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
  });
}
