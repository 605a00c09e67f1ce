/** Bad: a route the mounting module does not mount uses a sign-in helper. */
import { Hono } from 'hono';
import { ATTEMPT_GONE } from './auth/refusals.js';

export const chatRoutes = new Hono().get('/', (c) => c.text(ATTEMPT_GONE));
