/** A route module that uses the sign-in helper: fine. */
import { Hono } from 'hono';
import { ATTEMPT_GONE } from './auth/refusals.js';

export const signinRoutes = new Hono().get('/gone', (c) => c.text(ATTEMPT_GONE));
export function verifyKey(): boolean {
  return true;
}
