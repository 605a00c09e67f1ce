/** Bad: a route skips the stores for the schema (by import()) and imports the root (by type). */
import { Hono } from 'hono';

export const reportRoutes = new Hono().get('/', async (c) => {
  const { users } = await import('../db/schema.js');
  const root: import('../main.js').Root = 'root';
  return c.text(users + root);
});
