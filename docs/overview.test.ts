/**
 * docs/overview.md, held against the brief: its requirement table has one row per entry of
 * docs/requirements.json (the brief's list, in its own words), in order; every link in the page
 * leads to a file (and heading) that exists; every quoted test name is in the test file it
 * follows; every library is named with the version package-lock.json installs. When the brief
 * itself is at hand (BRIEF_FILE, or the course's shared copy), each requirement's words are
 * checked to be the brief's.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const docsDir = import.meta.dirname;
const repoRoot = join(docsDir, '..');
const overview = readFileSync(join(docsDir, 'overview.md'), 'utf8');
const requirements = (
  JSON.parse(readFileSync(join(docsDir, 'requirements.json'), 'utf8')) as {
    requirements: { id: string; area: string; brief: string }[];
  }
).requirements;

interface Row {
  id: string;
  brief: string;
  status: string;
  code: string;
  tests: string;
}

/** The rows of the first table whose header starts with `| id |`. */
function requirementRows(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| id |'));
  if (start === -1) return [];
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [id = '', brief = '', status = '', code = '', tests = ''] = line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim());
    rows.push({ id, brief, status, code, tests });
  }
  return rows;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set(
    markdown
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) =>
        line
          .replace(/^#+ /, '')
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
          .replace(/ /g, '-'),
      ),
  );
}

/**
 * What is wrong with the links and quoted test names of a piece of markdown written in the file
 * `from`: a missing file or heading, or a quoted name ("...") after a link to a test file that
 * the file does not contain.
 */
function brokenReferences(markdown: string, from: string): string[] {
  const problems: string[] = [];
  const link = /\[[^\]]*\]\(([^)\s]+)\)((?:[ ,]*"[^"]+")*)/g;
  for (const match of markdown.matchAll(link)) {
    const target = match[1] ?? '';
    if (/^[a-z]+:/.test(target)) continue; // https: and the like
    const [path = '', anchor] = target.split('#');
    const file = path === '' ? from : resolve(dirname(from), path);
    if (!existsSync(file)) {
      problems.push(`no file ${target}`);
      continue;
    }
    if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
      problems.push(`no heading #${anchor} in ${path || 'this file'}`);
    }
    const names = [...(match[2] ?? '').matchAll(/"([^"]+)"/g)].map((name) => name[1] ?? '');
    if (names.length > 0) {
      const text = statSync(file).isFile() ? readFileSync(file, 'utf8') : '';
      for (const name of names) {
        if (!text.includes(name)) problems.push(`no test "${name}" in ${path}`);
      }
    }
  }
  return problems;
}

const rows = requirementRows(overview);

describe('docs/overview.md', () => {
  it('lists every requirement of the brief, in order, in its own words', () => {
    expect(requirements.length).toBeGreaterThan(60);
    expect(new Set(requirements.map((r) => r.id)).size).toBe(requirements.length);
    expect(rows.map((row) => row.id)).toEqual(requirements.map((r) => r.id));
    for (const [index, row] of rows.entries()) {
      expect(row.brief, row.id).toBe(requirements[index]?.brief);
    }
  });

  it('gives every requirement a status, and every done one the code and a named test', () => {
    for (const row of rows) {
      expect(row.status, row.id).not.toBe('');
      if (row.status.startsWith('done')) {
        expect(row.code, row.id).toMatch(/\]\(\.\.\//);
        expect(row.tests, row.id).toMatch(/\]\(\.\.\/[^)]+\.test\.ts\) "/);
      }
    }
  });

  it('links only to files, headings and test names that exist', () => {
    expect(brokenReferences(overview, join(docsDir, 'overview.md'))).toEqual([]);
  });

  it('fails a row whose file or test does not exist (the checker works)', () => {
    const from = join(docsDir, 'overview.md');
    expect(
      brokenReferences(
        '[`x`](../server/nope.ts) [`t`](../server/test/auth-sessions.test.ts) "GET never changes state", "a test nobody wrote" [h](security.md#no-such-heading)',
        from,
      ),
    ).toEqual([
      'no file ../server/nope.ts',
      'no test "a test nobody wrote" in ../server/test/auth-sessions.test.ts',
      'no heading #no-such-heading in security.md',
    ]);
  });

  it('names every library with the version package-lock.json installs', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const named = new Map(
      [...overview.matchAll(/^\| `([^`]+)` \| (\d+\.\d+\.\d+) \|/gm)].map((m) => [m[1], m[2]]),
    );
    // Every runtime dependency is in the table...
    for (const name of Object.keys(pkg.dependencies)) {
      expect(named.has(name), `${name}: add it to the library table of docs/overview.md`).toBe(
        true,
      );
    }
    // ...and every version in it is the installed one.
    for (const [name, version] of named) {
      expect(version, `${name}: docs/overview.md names another version`).toBe(
        lock.packages[`node_modules/${name}`]?.version,
      );
    }
  });

  const briefFile = process.env.BRIEF_FILE ?? '/work/shared/brief/course-brief.txt';
  it.skipIf(!existsSync(briefFile))(
    'quotes the brief word for word (checked when the brief is at hand)',
    () => {
      // The brief is text extracted from slides: a symbol-font arrow (U+F0E0) stands for "→",
      // and line breaks fall anywhere.
      const normal = (text: string) =>
        text
          .replace(/\uF0E0\s*/g, '→')
          .normalize('NFKC')
          .replace(/\s+/g, ' ')
          .trim();
      const brief = normal(readFileSync(briefFile, 'utf8'));
      for (const requirement of requirements) {
        expect(brief, requirement.id).toContain(normal(requirement.brief));
      }
    },
  );
});

describe('README.md', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  it('links the overview at the top, and only to files and headings that exist', () => {
    const firstLines = readme.split('\n').slice(0, 12).join('\n');
    expect(firstLines).toContain('](docs/overview.md)');
    expect(brokenReferences(readme, join(repoRoot, 'README.md'))).toEqual([]);
  });

  it('documents every setting scripts/stack.sh reads', () => {
    const stackScript = readFileSync(join(repoRoot, 'scripts', 'stack.sh'), 'utf8');
    const settings = new Set(stackScript.match(/\bSTACK_[A-Z_]+\b/g));
    expect(settings.has('STACK_DATABASE_NAME')).toBe(true);
    for (const setting of settings)
      expect(readme, setting).toMatch(new RegExp(`\`${setting}[\`=]`));
  });
});
