/** Bad: a route module imports another route module. */
import { Hono } from 'hono';
import { verifyKey } from './signin.js';

export const unlockRoutes = new Hono().get('/', (c) => c.json({ ok: verifyKey() }));
