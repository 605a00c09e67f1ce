/**
 * No source maps in production (issue 10, item 3): the production client build writes none
 * and links none, and the app answers 404 to any `.map` path, even one an old build left.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../test/support/api-client.js';
import { buildTestApp } from '../../test/support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';
import { packageRoot } from '../paths.js';

let testDb: TestDatabase;
let outDir: string;
beforeAll(async () => {
  testDb = await createTestDatabase();
  outDir = mkdtempSync(join(tmpdir(), 'parley-prod-client-'));
  await build({
    configFile: join(packageRoot(), 'client', 'vite.config.ts'),
    mode: 'production',
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
});
afterAll(async () => {
  await testDb.drop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('no source maps in production', () => {
  it('the production build writes no .map file and no sourceMappingURL; GET of any .map path → 404', async () => {
    const assets = readdirSync(join(outDir, 'assets'));
    const scripts = assets.filter((name) => name.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(3);
    expect(assets.filter((name) => name.endsWith('.map'))).toEqual([]);
    for (const name of scripts) {
      expect(readFileSync(join(outDir, 'assets', name), 'utf8')).not.toContain('sourceMappingURL');
    }
    // A map an older build left behind is not served either.
    writeFileSync(join(outDir, 'assets', 'stale-abc123.js.map'), '{"sources":["secret.ts"]}');
    expect(existsSync(join(outDir, 'assets', 'stale-abc123.js.map'))).toBe(true);
    const built = buildTestApp(testDb.database, {
      config: { clientDir: outDir, nodeEnv: 'production' },
    });
    const client = new ApiClient(built.app, 'http://localhost:3000');
    const paths = [
      ...scripts.map((name) => `/assets/${name}.map`),
      '/assets/stale-abc123.js.map',
      '/index.js.map',
      '/anything.map',
    ];
    for (const path of paths) expect((await client.get(path)).status, path).toBe(404);
    // The scripts themselves are served.
    expect((await client.get(`/assets/${scripts[0]}`)).status).toBe(200);
  });
});
