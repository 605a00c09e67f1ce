import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';

/**
 * Serves the built client. Vite's hashed files under /assets never change, so browsers may
 * keep them for a year; everything else, and index.html above all, is revalidated each time.
 * Page paths (no file extension, outside /api) get index.html so the client router renders them.
 */
export function clientAppRoutes(clientDir: string) {
  const app = new Hono();
  const indexFile = join(clientDir, 'index.html');

  app.use('*', async (c, next) => {
    await next();
    if (c.res.status !== 200 && c.res.status !== 206 && c.res.status !== 304) return;
    const immutable = c.req.path.startsWith('/assets/');
    c.res.headers.set(
      'Cache-Control',
      immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  });
  // Source maps carry the full sources: never served, even if an old build left one behind.
  app.get('*', async (c, next) => (c.req.path.endsWith('.map') ? c.notFound() : next()));
  app.use('*', serveStatic({ root: clientDir }));
  app.get('*', async (c, next) => {
    const path = c.req.path;
    const isPage = !path.startsWith('/api/') && !/\.[A-Za-z0-9]+$/.test(path);
    if (!isPage || !existsSync(indexFile)) return next();
    return c.html(readFileSync(indexFile, 'utf8'));
  });
  return app;
}
