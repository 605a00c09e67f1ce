/**
 * `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument).
 * Each file default-exports a Benchmark.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.log('no benchmarks yet');
}
for (const file of files) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { default: Benchmark };
  console.log(`\n${module.default.title}  [bench/${file}]`);
  await module.default.run();
}
// A benchmark may leave a handle behind (a child's IPC pipe, a pooled socket): the run is over,
// so exit once the output is written rather than wait on it.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(0);
