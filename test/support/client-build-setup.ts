/** Browser tests need the built client; build it once when it is missing (the test command builds first). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

const root = join(import.meta.dirname, '..', '..');

export async function setup() {
  if (existsSync(join(root, 'dist', 'client', 'index.html'))) return;
  await build({ configFile: join(root, 'client', 'vite.config.ts'), logLevel: 'warn' });
}
