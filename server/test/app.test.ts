import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/database-server.js';
import { buildTestApp } from '../../test/support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';
import { createDatabase } from '../db/client.js';
import { CSP_REPORT_BUCKET } from '../routes/csp-reports.js';

let testDb: TestDatabase;
let clientDir: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  clientDir = mkdtempSync(join(tmpdir(), 'parley-client-'));
  mkdirSync(join(clientDir, 'assets'));
  writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>Parley</title>');
  writeFileSync(join(clientDir, 'assets', 'index-abc123.js'), 'export {};');
});

afterAll(async () => {
  await testDb.drop();
});

const app = () => buildTestApp(testDb.database, { config: { clientDir } }).app;

describe('GET /healthz', () => {
  it('answers 200 while the database answers', async () => {
    const response = await app().request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 503 when the database is down', async () => {
    const port = await freePort();
    const dead = createDatabase(`mysql://root@127.0.0.1:${port}/nothing`);
    try {
      const response = await buildTestApp(dead).app.request('/healthz');
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    } finally {
      await dead.close();
    }
  });
});

describe('security headers', () => {
  it('are on every response, errors included', async () => {
    for (const path of ['/healthz', '/', '/api/nope']) {
      const response = await app().request(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("require-trusted-types-for 'script'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toMatch(/https?:\/\//);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('permissions-policy')).toContain('camera=()');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });
});

describe('client mistakes get a 4xx JSON error, never a 500', () => {
  it('malformed JSON → 400 invalid_json', async () => {
    const response = await app().request('/api/csp-reports', {
      method: 'POST',
      headers: { 'content-type': 'application/csp-report' },
      body: '{"csp-report": ',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('a body of the wrong shape → 400 invalid_body', async () => {
    const response = await app().request('/api/csp-reports', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ 'csp-report': { 'line-number': 'x' } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_body' } });
  });

  it('a wrong content type → 415', async () => {
    const response = await app().request('/api/csp-reports', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(415);
  });

  it('an oversized body → 413 body_too_large', async () => {
    const response = await app().request('/api/csp-reports', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ 'csp-report': { 'document-uri': 'x'.repeat(70 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'body_too_large' } });
  });

  it('an unknown API route → 404 not_found', async () => {
    const response = await app().request('/api/nope', { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('an unknown file → 404 JSON', async () => {
    const response = await app().request('/missing.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
  });

  it('a valid CSP report is accepted and logged', async () => {
    const built = buildTestApp(testDb.database, { config: { clientDir } });
    const response = await built.app.request('/api/csp-reports', {
      method: 'POST',
      headers: { 'content-type': 'application/csp-report' },
      body: JSON.stringify({
        'csp-report': { 'violated-directive': 'script-src', 'blocked-uri': 'inline' },
      }),
    });
    expect(response.status).toBe(204);
    expect(built.logger.lines.some((line) => line.includes('csp violation'))).toBe(true);
  });

  it('CSP reports are limited per client IP, so anyone cannot flood the log', async () => {
    const built = buildTestApp(testDb.database, { config: { clientDir } });
    const report = (ip: string) =>
      built.app.request(
        '/api/csp-reports',
        {
          method: 'POST',
          headers: { 'content-type': 'application/csp-report' },
          body: JSON.stringify({ 'csp-report': { 'blocked-uri': 'inline' } }),
        },
        { incoming: { socket: { remoteAddress: ip } } },
      );
    const statuses: number[] = [];
    // The bucket refills slowly: a 429 comes soon after its capacity, however loaded the machine.
    while (!statuses.includes(429) && statuses.length < 2 * CSP_REPORT_BUCKET.capacity) {
      statuses.push((await report('192.0.2.30')).status);
    }
    expect(statuses.slice(0, CSP_REPORT_BUCKET.capacity).every((s) => s === 204)).toBe(true);
    expect(statuses).toContain(429);
    expect((await report('192.0.2.31')).status).toBe(204);
  });
});

describe('unexpected errors', () => {
  it('become a generic 500 with a request id, the stack logged on the server only', async () => {
    const broken = {
      ...testDb.database,
      ping: async (): Promise<boolean> => {
        throw new Error('secret internal detail');
      },
    };
    const built = buildTestApp(broken, { config: { clientDir } });
    const response = await built.app.request('/healthz');
    expect(response.status).toBe(500);
    const body = (await response.json()) as {
      error: { code: string; message: string; requestId: string };
    };
    expect(body.error.code).toBe('internal');
    expect(JSON.stringify(body)).not.toContain('secret internal detail');
    expect(body.error.requestId).toMatch(/^[\w-]{8,}$/);
    const logged = built.logger.lines.find((line) => line.includes('unhandled error')) ?? '';
    expect(logged).toContain('secret internal detail');
    expect(logged).toContain(body.error.requestId);
  });
});

describe('static client', () => {
  it('serves index.html for page paths with no-cache', async () => {
    for (const path of ['/', '/chat']) {
      const response = await app().request(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('<title>Parley</title>');
    }
  });

  it('serves hashed assets as immutable', async () => {
    const response = await app().request('/assets/index-abc123.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });
});

describe('request log', () => {
  it('writes one JSON line per request without the query string', async () => {
    const built = buildTestApp(testDb.database, { config: { clientDir } });
    await built.app.request('/healthz?token=abc');
    const lines = built.logger.lines
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'GET', path: '/healthz', status: 200 });
    expect(JSON.stringify(lines[0])).not.toContain('abc');
  });
});
