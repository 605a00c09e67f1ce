/**
 * The stack tests run the built app with its production command: build it once when the build
 * is missing (the test command builds before testing, so this is for targeted runs).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');

export async function setup() {
  const built =
    existsSync(join(root, 'dist', 'server', 'main.js')) &&
    existsSync(join(root, 'dist', 'client', 'index.html'));
  if (built) return;
  await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: root, timeout: 300_000 });
}
