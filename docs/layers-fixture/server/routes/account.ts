/** Bad: a sign-in route reads the store itself instead of calling its flow. */
import { Hono } from 'hono';
import type { StoredSession } from '../db/user-store.js';

export const accountRoutes = new Hono().get('/', (c) =>
  c.json({} satisfies Partial<StoredSession>),
);
