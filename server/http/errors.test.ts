import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../logger.js';
import {
  createErrorHandler,
  DATABASE_RETRY_AFTER_SECONDS,
  ERROR_LOG_INTERVAL_MS,
  HttpError,
  notFoundHandler,
} from './errors.js';

function appThrowing(error: () => unknown) {
  const logger = createMemoryLogger();
  let now = 0;
  const app = new Hono<{ Variables: { requestId: string } }>()
    .use('*', async (c, next) => {
      c.set('requestId', 'req-7');
      await next();
    })
    .use('/limited', bodyLimit({ maxSize: 4 }))
    .post('/limited', (c) => c.text('ok'))
    .get('/fail', () => {
      throw error();
    });
  app.onError(createErrorHandler(logger, { now: () => now }));
  app.notFound(notFoundHandler);
  return { app, logger, advance: (ms: number) => (now += ms) };
}

describe('the error handler', () => {
  it('answers an HttpError with its status, code, message and details, and logs nothing', async () => {
    const { app, logger } = appThrowing(
      () => new HttpError(409, 'username_taken', 'That name is taken.', { name: 'a' }),
    );
    const response = await app.request('/fail');
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: 'username_taken', message: 'That name is taken.', details: { name: 'a' } },
    });
    expect(logger.lines).toEqual([]);
  });

  it("maps Hono's own 4xx exceptions to stable codes (a body over the limit is 413 body_too_large)", async () => {
    const { app } = appThrowing(() => new Error('unused'));
    const response = await app.request('/limited', { method: 'POST', body: 'too long a body' });
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe('body_too_large');
  });

  it('answers the database being unreachable with 503 and Retry-After, one short line per interval', async () => {
    const { app, logger, advance } = appThrowing(() =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }),
    );
    for (let i = 0; i < 3; i += 1) {
      const response = await app.request('/fail');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
      expect((await response.json()).error.code).toBe('database_unavailable');
    }
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('ECONNREFUSED');
    expect(logger.lines[0]).not.toContain('    at ');
    advance(ERROR_LOG_INTERVAL_MS);
    await app.request('/fail');
    expect(logger.lines).toHaveLength(2);
  });

  it('answers anything else with a bare 500 carrying the request id; the stack stays in the log', async () => {
    const { app, logger } = appThrowing(() => new TypeError('secret internals'));
    const response = await app.request('/fail');
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body).toEqual({
      error: { code: 'internal', message: 'Internal server error', requestId: 'req-7' },
    });
    expect(JSON.stringify(body)).not.toContain('secret internals');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('secret internals');
    expect(logger.lines[0]).toContain('req-7');
  });

  it('answers an unknown route with 404 not_found naming the method and path', async () => {
    const { app } = appThrowing(() => new Error('unused'));
    const response = await app.request('/nowhere', { method: 'DELETE' });
    expect(response.status).toBe(404);
    expect((await response.json()).error).toEqual({
      code: 'not_found',
      message: 'No route for DELETE /nowhere',
    });
  });
});
