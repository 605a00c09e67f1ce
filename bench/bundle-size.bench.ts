/**
 * Client bundle size: gzip bytes of all JavaScript the landing page loads (dist/client, so
 * run `npm run build` first), against a baseline built in the same run: a bundle holding
 * only one empty Lit element, i.e. the cost of Lit itself.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { type Benchmark, report } from './lib.js';

const root = join(import.meta.dirname, '..');

function gzipBytes(file: string): number {
  return gzipSync(readFileSync(file), { level: 9 }).length;
}

/** The JS files index.html loads directly or preloads (not lazily imported chunks). */
function landingScripts(clientDir: string): string[] {
  const html = readFileSync(join(clientDir, 'index.html'), 'utf8');
  const sources = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+\.js)"/g)].map(
    (m) => m[1] ?? '',
  );
  return sources.map((source) => join(clientDir, source));
}

async function litOnlyBaseline(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-lit-baseline-'));
  try {
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><x-empty></x-empty><script type="module" src="./main.js"></script>',
    );
    writeFileSync(
      join(dir, 'main.js'),
      "import { LitElement, html } from 'lit';\n" +
        "customElements.define('x-empty', class extends LitElement { render() { return html`ok`; } });\n",
    );
    await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      resolve: { alias: { lit: join(root, 'node_modules', 'lit') } },
      build: { outDir: join(dir, 'dist'), modulePreload: { polyfill: false } },
    });
    const assets = join(dir, 'dist', 'assets');
    return readdirSync(assets)
      .filter((file) => file.endsWith('.js'))
      .reduce((sum, file) => sum + gzipBytes(join(assets, file)), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  title: 'Client bundle size (gzip -9)',
  async run() {
    const clientDir = join(root, 'dist', 'client');
    const scripts = landingScripts(clientDir);
    const landing = scripts.reduce((sum, file) => sum + gzipBytes(file), 0);
    const lit = await litOnlyBaseline();
    report('Lit alone (baseline, built now)', `${lit} B`);
    report(
      `landing page JS (${scripts.length} file${scripts.length === 1 ? '' : 's'})`,
      `${landing} B`,
      {
        of: 'Lit alone',
        times: landing / lit,
      },
    );
  },
};

export default benchmark;
