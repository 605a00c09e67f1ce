import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAppRoutes } from './client-app.js';

let dir: string;
let app: Hono;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-client-app-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title>');
  writeFileSync(join(dir, 'assets', 'main-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'main-abc123.js.map'), '{"sources":["secret.ts"]}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  app = new Hono().route('/', clientAppRoutes(dir)).notFound((c) => c.text('none', 404));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('clientAppRoutes', () => {
  it('serves hashed assets as immutable for a year, everything else revalidated', async () => {
    const asset = await app.request('/assets/main-abc123.js');
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe('console.log(1)');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await app.request('/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    const index = await app.request('/');
    expect(await index.text()).toContain('<title>Parley</title>');
    expect(index.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers page paths with index.html, so the client router renders them', async () => {
    for (const path of ['/chat', '/account/security', '/signin']) {
      const page = await app.request(path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('<title>Parley</title>');
    }
  });

  it('never serves a source map, nor index.html for an API path or a missing file', async () => {
    const map = await app.request('/assets/main-abc123.js.map');
    expect(map.status).toBe(404);
    expect(await map.text()).not.toContain('secret.ts');
    expect(map.headers.get('cache-control')).toBeNull();
    for (const path of ['/api/nothing', '/missing.png', '/assets/gone-1.js']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).toBe('none');
    }
  });
});
