/**
 * Client bundle size: gzip bytes of all JavaScript the landing page loads (dist/client, so
 * run `npm run build` first), against a baseline built in the same run: a bundle holding
 * only one empty Lit element, i.e. the cost of Lit itself. Also the chat route: the landing
 * JS plus the chat page's chunk and the chunk of the chat services the composition root
 * loads for it (main.ts), each with the chunks it imports.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** The relative chunks a built chunk imports statically (`from"./x.js"`, `import"./x.js"`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*"(\.\/[^"]+\.js)"/g)].map((m) =>
    join(dirname(file), m[1] ?? ''),
  );
}

/** The chunks named `<prefix>-<hash>.js` and everything they import statically, transitively. */
function chunkClosure(assets: string, prefixes: string[]): Set<string> {
  const start = readdirSync(assets)
    .filter((file) => prefixes.some((prefix) => new RegExp(`^${prefix}-[\\w-]+\\.js$`).test(file)))
    .map((file) => join(assets, file));
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const file = queue.pop() ?? '';
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...staticImports(file));
  }
  return seen;
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
    const chat = new Set([
      ...scripts,
      ...chunkClosure(join(clientDir, 'assets'), ['chat-page', 'chat-services']),
    ]);
    const chatBytes = [...chat].reduce((sum, file) => sum + gzipBytes(file), 0);
    report(`chat page JS, landing included (${chat.size} files)`, `${chatBytes} B`, {
      of: 'Lit alone',
      times: chatBytes / lit,
    });
  },
};

export default benchmark;
