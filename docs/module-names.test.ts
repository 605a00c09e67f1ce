/**
 * The design documents name only modules that exist. Every backticked path in
 * docs/architecture.md and docs/protocol.md (`server/chat/relay.ts`, `routes/chat.ts` relative to
 * a half, a folder `test/support/`, a glob `db/*-store.ts`, or a bare `signin.ts` after a path
 * of its folder) must be a file or folder of the repository; and each section of protocol.md
 * says in a `Code:` line which modules implement it, each of which must exist too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');

/** Where a path in the docs may be relative to: the root, then each half. */
const BASES = ['', 'server/', 'client/src/', 'client/', 'contract/'];

/** What a path to a module or folder looks like (not a URL, an API path, a call or a value). */
const PATH = /^[\w@*-][\w.@*-]*(\/[\w.@*-]+)*\/?$/;
const FILE = /\.(ts|mjs|js|sh|css|sql|html|json|template)$/;
/** Written by a run, not kept in the repository. */
const GENERATED = /^(\.tmp|dist|coverage)\//;

function listAll(folder = ''): string[] {
  return readdirSync(join(repoRoot, folder), { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', '.git', 'dist', '.tmp', 'coverage'].includes(entry.name)) return [];
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    return entry.isDirectory() ? [`${path}/`, ...listAll(path)] : [path];
  });
}
const everything = listAll();

function globRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`);
}

/** The repository path a name in the docs stands for, or undefined when there is none. */
function resolveName(name: string, folderBefore: string | undefined): string | undefined {
  const candidates = name.includes('/')
    ? BASES.map((base) => base + name)
    : [...(folderBefore ? [folderBefore + name] : []), ...BASES.map((base) => base + name)];
  for (const candidate of candidates) {
    if (candidate.includes('*')) {
      const pattern = globRegExp(candidate);
      if (everything.some((path) => pattern.test(path))) return candidate;
    } else if (existsSync(join(repoRoot, candidate))) {
      return candidate;
    }
  }
  // A bare file name after a path of another folder: anywhere in the source halves.
  if (!name.includes('/')) {
    return everything.find((path) => path.endsWith(`/${name}`) && !GENERATED.test(path));
  }
  return undefined;
}

interface Named {
  name: string;
  line: number;
  resolved: string | undefined;
}

/** The module and folder names of a Markdown text, outside fenced blocks, with their lines. */
function moduleNames(markdown: string): Named[] {
  const found: Named[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, index) => {
    if (text.trimStart().startsWith('```')) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    let folderBefore: string | undefined;
    for (const [, name] of text.matchAll(/`([^`\s]+)`/g)) {
      if (name === undefined || !PATH.test(name) || GENERATED.test(name)) continue;
      const isFolder = name.endsWith('/') && name.length > 1 && name.slice(0, -1).includes('/');
      const isTopFolder = name.endsWith('/') && !isFolder;
      if (!FILE.test(name) && !isFolder && !isTopFolder) continue;
      const resolved = resolveName(name, folderBefore);
      if (resolved && name.includes('/')) folderBefore = `${dirname(resolved)}/`;
      found.push({ name, line: index + 1, resolved });
    }
  });
  return found;
}

const read = (doc: string) => readFileSync(join(repoRoot, 'docs', doc), 'utf8');

describe.each(['architecture.md', 'protocol.md'])('docs/%s', (doc) => {
  it('names only modules and folders that exist', () => {
    const names = moduleNames(read(doc));
    expect(names.length).toBeGreaterThan(10);
    const missing = names
      .filter((named) => named.resolved === undefined)
      .map((named) => `${doc}:${named.line} \`${named.name}\``);
    expect(missing).toEqual([]);
  });
});

describe('docs/protocol.md', () => {
  it('says under every section which modules implement it, and they exist', () => {
    const sections = read('protocol.md')
      .split(/\n(?=## )/)
      .slice(1);
    expect(sections.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const section of sections) {
      const title = section.split('\n')[0];
      const code = section.split('\n').find((line) => line.startsWith('Code: '));
      if (!code) {
        problems.push(`${title}: no "Code:" line`);
        continue;
      }
      const names = moduleNames(code);
      if (names.length === 0) problems.push(`${title}: its "Code:" line names no module`);
      for (const named of names) {
        if (named.resolved === undefined) problems.push(`${title}: \`${named.name}\` is no file`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the name check itself', () => {
  it('resolves names against the root, a half, the folder named before, or a glob; refuses others', () => {
    const text = [
      'The relay is `server/chat/relay.ts`, its route `routes/chat.ts` and `live-channel.ts`;',
      'stores `db/*-store.ts`, support `test/support/`, not `server/chat/gone.ts`, `nowhere/`',
      'nor `db/*-gone.ts`. `/api/ws`, `app.request()`, `https://x.example/a.ts` are no paths.',
      '```',
      '`server/in-a-fence.ts`',
      '```',
    ].join('\n');
    expect(moduleNames(text).map((n) => [n.name, n.resolved ?? null])).toEqual([
      ['server/chat/relay.ts', 'server/chat/relay.ts'],
      ['routes/chat.ts', 'server/routes/chat.ts'],
      ['live-channel.ts', 'server/routes/live-channel.ts'],
      ['db/*-store.ts', 'server/db/*-store.ts'],
      ['test/support/', 'test/support/'],
      ['server/chat/gone.ts', null],
      ['nowhere/', null],
      ['db/*-gone.ts', null],
    ]);
  });
});
