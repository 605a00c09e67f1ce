import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { createTokenBucketLimiter } from '../auth/rate-limit.js';
import { ipRateLimit, rateLimit } from './ip-rate-limit.js';

function appWith(ipOf: (path: string) => string) {
  const clock = new FakeClock(new Date('2026-01-15T12:00:00Z'));
  const limiter = createTokenBucketLimiter({ capacity: 3, refillPerSecond: 0.5 }, clock);
  const app = new Hono<{ Variables: { clientIp: string } }>()
    .use('*', async (c, next) => {
      c.set('clientIp', ipOf(c.req.path));
      await next();
    })
    .use('/api/*', ipRateLimit(limiter))
    .post('/api/:any', (c) => c.text('ok'));
  return { app, clock };
}

describe('ipRateLimit', () => {
  it('lets a bucket full through, then 429 rate_limited with Retry-After, per client IP', async () => {
    const { app, clock } = appWith((path) =>
      path.endsWith('b') ? '198.51.100.2' : '198.51.100.1',
    );
    for (let i = 0; i < 3; i += 1) {
      expect((await app.request('/api/a', { method: 'POST' })).status).toBe(200);
    }
    const refused = await app.request('/api/a', { method: 'POST' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    const body = await refused.json();
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/Wait 2 seconds/);
    expect(body.error.details).toEqual({ retryAfterSeconds: 2 });
    // Another address has a bucket of its own.
    expect((await app.request('/api/b', { method: 'POST' })).status).toBe(200);
    // Two seconds refill one token.
    clock.advance(2_000);
    expect((await app.request('/api/a', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/api/a', { method: 'POST' })).status).toBe(429);
  });

  it('rateLimit keys by what the route chooses, with its own message', async () => {
    const clock = new FakeClock(new Date('2026-01-15T12:00:00Z'));
    const limiter = createTokenBucketLimiter({ capacity: 1, refillPerSecond: 0.1 }, clock);
    const app = new Hono()
      .use(
        '*',
        rateLimit(limiter, (c) => c.req.header('x-user') ?? '', 'Too many look-ups.'),
      )
      .get('/', (c) => c.text('ok'));
    const as = (user: string) => app.request('/', { headers: { 'x-user': user } });
    expect((await as('7')).status).toBe(200);
    const refused = await as('7');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect((await refused.json()).error.message).toBe(
      'Too many look-ups. Wait 10 seconds and try again.',
    );
    expect((await as('8')).status).toBe(200);
  });
});
