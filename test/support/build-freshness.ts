/**
 * Whether a build output is missing or older than any of its sources, so a targeted test run
 * after an edit rebuilds instead of testing yesterday's bundle (the test command always builds
 * first; this is for `npx vitest run <file>` while working).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time (ms) of the files under `dirs`, tests and fixtures skipped. */
function newestSource(root: string, dirs: readonly string[]): number {
  let newest = 0;
  for (const dir of dirs) {
    const base = join(root, dir);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base, { recursive: true, encoding: 'utf8' })) {
      if (/(^|\/)(test|node_modules)\//.test(name) || name.endsWith('.test.ts')) continue;
      const stat = statSync(join(base, name));
      if (stat.isFile()) newest = Math.max(newest, stat.mtimeMs);
    }
  }
  return newest;
}

export function buildIsStale(root: string, output: string, sources: readonly string[]): boolean {
  const built = join(root, output);
  if (!existsSync(built)) return true;
  return newestSource(root, sources) > statSync(built).mtimeMs;
}
