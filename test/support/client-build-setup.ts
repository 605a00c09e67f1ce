/**
 * Browser tests need the built client: build it when it is missing or older than its sources
 * (the test command builds first; this is for targeted runs while working).
 */
import { join } from 'node:path';
import { build } from 'vite';
import { buildIsStale } from './build-freshness.js';

const root = join(import.meta.dirname, '..', '..');

export async function setup() {
  if (!buildIsStale(root, 'dist/client/index.html', ['client', 'contract'])) return;
  await build({ configFile: join(root, 'client', 'vite.config.ts'), logLevel: 'warn' });
}
