import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryLogger } from '../logger.js';
import { createErrorHandler } from './errors.js';
import { readJsonBody } from './validation.js';

const schema = z.object({ name: z.string().min(1), count: z.number().int() }).strict();
const logger = createMemoryLogger();
const app = new Hono()
  .post('/json', async (c) => c.json(await readJsonBody(c, schema)))
  .post('/report', async (c) =>
    c.json(await readJsonBody(c, z.object({}).passthrough(), ['application/csp-report'])),
  )
  .onError(createErrorHandler(logger));

const post = (path: string, body: string, contentType = 'application/json') =>
  app.request(path, { method: 'POST', body, headers: { 'content-type': contentType } });

describe('readJsonBody', () => {
  it('gives the validated body', async () => {
    const response = await post(
      '/json',
      '{"name":"a","count":2}',
      'application/json; charset=utf-8',
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: 'a', count: 2 });
  });

  it('415 for another media type, 400 invalid_json for broken JSON, 400 invalid_body with the issues', async () => {
    const wrongType = await post('/json', '{"name":"a","count":2}', 'text/plain');
    expect(wrongType.status).toBe(415);
    expect((await wrongType.json()).error.code).toBe('unsupported_media_type');
    const broken = await post('/json', '{"name":');
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.code).toBe('invalid_json');
    const wrongShape = await post('/json', '{"name":"","count":1.5,"extra":true}');
    expect(wrongShape.status).toBe(400);
    const error = (await wrongShape.json()).error;
    expect(error.code).toBe('invalid_body');
    expect(error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(
      ['', 'count', 'name'].sort(),
    );
    // The client's mistakes are no server errors: nothing logged.
    expect(logger.lines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });

  it('accepts only the media types the route names', async () => {
    expect((await post('/report', '{}', 'application/csp-report')).status).toBe(200);
    expect((await post('/report', '{}')).status).toBe(415);
  });
});
