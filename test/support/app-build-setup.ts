/**
 * The stack tests run the built app with its production command: build it when the build
 * is missing or older than its sources (the test command builds before testing, so this is for targeted runs).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIsStale } from './build-freshness.js';

const root = join(import.meta.dirname, '..', '..');

export async function setup() {
  const stale =
    buildIsStale(root, 'dist/server/main.js', ['server', 'contract']) ||
    buildIsStale(root, 'dist/client/index.html', ['client', 'contract']);
  if (!stale) return;
  await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: root, timeout: 300_000 });
}
