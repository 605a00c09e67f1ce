import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { createMemoryLogger } from '../logger.js';
import { requestLog } from './request-log.js';

describe('requestLog', () => {
  it('writes one line per request: id, method, path without the query, status, duration, ip', async () => {
    const logger = createMemoryLogger();
    const clock = new FakeClock(new Date('2026-01-15T12:00:00Z'));
    const app = new Hono<{ Variables: { requestId: string; clientIp: string } }>()
      .use('*', async (c, next) => {
        c.set('requestId', 'req-1');
        c.set('clientIp', '203.0.113.9');
        await next();
      })
      .use('*', requestLog(logger, clock))
      .get('/api/users', (c) => {
        clock.advance(42);
        return c.json({ users: [] });
      });
    const response = await app.request('/api/users?username=secretname');
    expect(response.status).toBe(200);
    const missing = await app.request('/api/nothing?token=abc');
    expect(missing.status).toBe(404);
    expect(logger.lines).toHaveLength(2);
    const [first, second] = logger.lines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({
      msg: 'request',
      requestId: 'req-1',
      method: 'GET',
      path: '/api/users',
      status: 200,
      ms: 42,
      ip: '203.0.113.9',
    });
    expect(second).toMatchObject({ path: '/api/nothing', status: 404, ms: 0 });
    expect(logger.lines.join('\n')).not.toMatch(/secretname|token=abc/);
  });
});
