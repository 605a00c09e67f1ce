import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { noStore } from './no-store.js';

describe('noStore', () => {
  it('marks the response it is called for as never cached, and only that one', async () => {
    const app = new Hono()
      .get('/secret', (c) => {
        noStore(c);
        return c.json({ token: 'x' });
      })
      .get('/public', (c) => c.text('hello'));
    const secret = await app.request('/secret');
    expect(secret.headers.get('cache-control')).toBe('no-store');
    expect(secret.headers.get('pragma')).toBe('no-cache');
    expect(await secret.json()).toEqual({ token: 'x' });
    const open = await app.request('/public');
    expect(open.headers.get('cache-control')).toBeNull();
    expect(open.headers.get('pragma')).toBeNull();
  });
});
