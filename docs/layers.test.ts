/**
 * The layers of docs/architecture.md ("Dependencies point one way"), held against the code. Every
 * production file of server/ and client/src/ belongs to one layer, and each layer names the
 * layers it may import, so a dependency that points the wrong way fails here rather than in
 * review:
 *
 * - server: routes → http → auth → db → schema; the sign-in routes (routes/auth-routes.ts, the
 *   modules it mounts, routes/auth/) skip db too: their flows in auth/flows/ do the work; chat,
 *   cluster and captcha beside auth; config
 *   and the core (clock, random, logger, paths) under everything; only the composition roots
 *   (main.ts, app.ts, db/migrate-cli.ts) see every layer. No route module (a file that builds a
 *   `new Hono()`) imports another, except the one that mounts the sign-in routes together; the
 *   sign-in routes' HTTP helpers (routes/auth/) serve only the routes it mounts.
 *   Below routes and http, nothing imports hono.
 * - client: pages → components → services → keystore → protocol; components do not fetch (no
 *   `fetch`, XMLHttpRequest, WebSocket, EventSource or sendBeacon, no import of the transport
 *   modules services/api.ts, api-client.ts and chat-relay.ts); services never import pages or
 *   components. What protocol/ may touch besides imports is client/src/protocol/purity.test.ts.
 * - contract/: the one definition of what the halves exchange (error codes, frames, headers,
 *   limits, the protocol messages' schema), a layer below everything on both sides. Every layer
 *   of either half may import it; it imports nothing but itself: no server or client file and
 *   no package, so nothing server-only reaches the browser bundle through it.
 *
 * Imports are read with the TypeScript parser — `import`, `import type`, `export … from`,
 * `import x = require()`, `import()` and `typeof import()` alike, since a type import couples
 * layers too — and relative paths are resolved to files. The checker first proves itself on
 * docs/layers-fixture/, a small tree that breaks each rule once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
const fixtureRoot = join(import.meta.dirname, 'layers-fixture');

/** One import of a file, as written. */
interface ImportRef {
  specifier: string;
  line: number;
}

/** What the rules need to know of one source file. */
interface Scan {
  imports: ImportRef[];
  /** Problems found while reading: an `import()` of a computed path cannot be checked. */
  problems: string[];
  /** It builds a Hono app: a route module. */
  definesRoutes: boolean;
  /** Network APIs it names (not as a property name). */
  network: string[];
}

const networkGlobals = new Set(['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource']);

function stringArgument(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    ? node.text
    : undefined;
}

function scan(fileName: string, text: string): Scan {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const result: Scan = { imports: [], problems: [], definesRoutes: false, network: [] };
  const lineOf = (node: ts.Node) =>
    source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const add = (specifier: string, node: ts.Node) =>
    result.imports.push({ specifier, line: lineOf(node) });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const specifier = stringArgument(node.moduleSpecifier);
      if (specifier !== undefined) add(specifier, node);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      const specifier = stringArgument(node.moduleReference.expression);
      if (specifier !== undefined) add(specifier, node);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) {
        const specifier = stringArgument(argument.literal);
        if (specifier !== undefined) add(specifier, node);
      }
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) {
        const specifier = stringArgument(node.arguments[0]);
        if (specifier !== undefined) add(specifier, node);
        else result.problems.push(`line ${lineOf(node)}: import() of a computed path`);
      }
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'Hono'
    ) {
      result.definesRoutes = true;
    } else if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const isMemberName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isPropertySignature(parent) && parent.name === node) ||
        (ts.isMethodDeclaration(parent) && parent.name === node);
      if (networkGlobals.has(node.text) && !isMemberName) result.network.push(node.text);
      if (node.text === 'sendBeacon' && isMemberName) result.network.push('sendBeacon');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return result;
}

/** A relative specifier as the file it names (repository-relative, `/`), or undefined. */
function resolveImport(root: string, fromFile: string, specifier: string): string | undefined {
  const target = resolve(root, dirname(fromFile), specifier);
  const candidates = [
    target.replace(/\.js$/, '.ts'),
    target,
    `${target}.ts`,
    join(target, 'index.ts'),
  ];
  const found = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  return found === undefined ? undefined : relative(root, found).split('\\').join('/');
}

/**
 * Where a layer's files are: a folder (ending in `/`) or one file, under the half's root; one
 * starting with `/` is under the repository root instead (the contract, outside both halves).
 */
type Place = string;

interface Layer {
  name: string;
  places: Place[];
  /** Layers (by name) or single files (by path) this layer may import; itself always. */
  mayImport: string[];
  /** Packages it must not import (exact name, `name/` prefix, or `*`: none at all). */
  noPackages?: string[];
}

interface Half {
  root: string;
  /** Production files: not tests, not test support. */
  isProduction: (path: string) => boolean;
  /** First match wins: list a file before the folder holding it. */
  layers: Layer[];
  /** The layer below every layer of the half: each may import it (the contract). */
  below: Layer;
  /** Layers whose files must not name a network API nor import the transport modules. */
  noNetwork?: { layer: string; transport: string[] };
  /** The rules of server/routes/ (route modules, their mounting module, the sign-in helpers). */
  routes?: { folder: string; mounting: string; signinHelpers: Place[] };
}

const httpPackages = ['hono', '@hono/'];

/** contract/: below both halves, importing nothing but itself. */
const contractLayer: Layer = {
  name: 'contract',
  places: ['/contract/'],
  mayImport: [],
  noPackages: ['*'],
};

const contract: Half = {
  root: 'contract',
  isProduction: (path) => !path.endsWith('.test.ts'),
  layers: [],
  below: contractLayer,
};

const server: Half = {
  root: 'server',
  isProduction: (path) => !path.endsWith('.test.ts') && !path.startsWith('server/test/'),
  layers: [
    {
      name: 'composition root',
      places: ['main.ts', 'app.ts', 'serve.ts', 'db/migrate-cli.ts'],
      mayImport: [
        'sign-in routes',
        'routes',
        'http',
        'auth',
        'chat',
        'cluster',
        'captcha',
        'db',
        'config',
        'core',
      ],
    },
    {
      // The sign-up, sign-in, unlock, session and account routes only parse, call their flow in
      // auth/flows/ and map its tagged result to HTTP: no store, no chat, no CAPTCHA renderer.
      name: 'sign-in routes',
      places: [
        'routes/auth-routes.ts',
        'routes/auth/',
        'routes/signup.ts',
        'routes/signin.ts',
        'routes/unlock.ts',
        'routes/session.ts',
        'routes/account.ts',
        'routes/captcha.ts',
      ],
      mayImport: ['http', 'auth', 'config', 'core'],
    },
    {
      name: 'routes',
      places: ['routes/'],
      // The sign-in routes only as the route rules below allow (none but the mounting one).
      mayImport: ['sign-in routes', 'http', 'auth', 'chat', 'captcha', 'db', 'config', 'core'],
    },
    { name: 'http', places: ['http/'], mayImport: ['auth', 'db', 'core'] },
    {
      name: 'chat',
      places: ['chat/'],
      mayImport: ['cluster', 'db', 'core'],
      noPackages: httpPackages,
    },
    {
      name: 'auth',
      places: ['auth/'],
      // The runtime holds the cluster (shared buckets, socket closing) and reads the config.
      mayImport: ['db', 'captcha', 'cluster', 'config', 'core'],
      noPackages: httpPackages,
    },
    {
      name: 'cluster',
      places: ['cluster/'],
      // Provides the token-bucket limiter that auth/rate-limit.ts defines and the try-standing
      // store that auth/try-standings.ts defines (and their local ones).
      mayImport: ['db', 'core', 'server/auth/rate-limit.ts', 'server/auth/try-standings.ts'],
      noPackages: httpPackages,
    },
    { name: 'captcha', places: ['captcha/'], mayImport: ['core'], noPackages: httpPackages },
    { name: 'schema', places: ['db/schema.ts'], mayImport: [], noPackages: httpPackages },
    { name: 'db', places: ['db/'], mayImport: ['schema', 'core'], noPackages: httpPackages },
    {
      name: 'config',
      places: ['config.ts', 'secrets.ts'],
      // The defaults it validates against and the trusted-proxy parser, both pure.
      mayImport: ['core', 'server/auth/auth-settings.ts', 'server/http/client-ip.ts'],
      noPackages: httpPackages,
    },
    {
      name: 'core',
      places: ['clock.ts', 'random.ts', 'logger.ts', 'paths.ts'],
      mayImport: [],
      noPackages: httpPackages,
    },
  ],
  below: contractLayer,
  routes: {
    folder: 'routes/',
    mounting: 'routes/auth-routes.ts',
    signinHelpers: ['routes/auth/'],
  },
};

const client: Half = {
  root: 'client/src',
  isProduction: (path) =>
    !path.endsWith('.test.ts') && path !== 'client/src/protocol/test-support.ts',
  layers: [
    {
      name: 'composition root',
      places: ['main.ts', 'app-shell.ts'],
      mayImport: ['routing', 'pages', 'components', 'services', 'keystore', 'protocol'],
    },
    { name: 'routing', places: ['router.ts'], mayImport: [] },
    {
      name: 'pages',
      places: ['pages/'],
      mayImport: ['routing', 'components', 'services', 'keystore', 'protocol'],
    },
    { name: 'components', places: ['components/'], mayImport: ['services', 'protocol'] },
    { name: 'services', places: ['services/'], mayImport: ['keystore', 'protocol'] },
    { name: 'keystore', places: ['keystore/'], mayImport: ['protocol'] },
    { name: 'protocol', places: ['protocol/'], mayImport: [] },
  ],
  below: contractLayer,
  noNetwork: {
    layer: 'components',
    transport: [
      'client/src/services/api.ts',
      'client/src/services/api-client.ts',
      'client/src/services/chat-relay.ts',
    ],
  },
};

function listFiles(root: string, folder: string): string[] {
  const here = join(root, folder);
  if (!existsSync(here)) return [];
  return readdirSync(here, { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listFiles(root, path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function inPlace(half: Half, place: Place, path: string): boolean {
  const full = place.startsWith('/') ? place.slice(1) : `${half.root}/${place}`;
  return place.endsWith('/') ? path.startsWith(full) : path === full;
}

function layerOf(half: Half, path: string): Layer | undefined {
  return [...half.layers, half.below].find((layer) =>
    layer.places.some((place) => inPlace(half, place, path)),
  );
}

/** Every broken rule of one half under root, one line each: `file:line what`. */
function violations(root: string, half: Half): string[] {
  const files = listFiles(root, half.root).filter(half.isProduction);
  const scans = new Map(
    files.map((path) => [path, scan(path, readFileSync(join(root, path), 'utf8'))]),
  );
  const found: string[] = [];
  const routes = half.routes;
  const routeModule = (path: string) =>
    routes !== undefined && inPlace(half, routes.folder, path) && scans.get(path)?.definesRoutes;
  const mounting = routes && `${half.root}/${routes.mounting}`;
  const mounted = new Set<string>();
  if (mounting && scans.has(mounting)) {
    for (const ref of scans.get(mounting)?.imports ?? []) {
      const target = resolveImport(root, mounting, ref.specifier);
      if (target && routeModule(target)) mounted.add(target);
    }
  }
  for (const [path, { imports, problems, network }] of scans) {
    const layer = layerOf(half, path);
    if (!layer) {
      found.push(`${path} is in no layer of ${half.root}/`);
      continue;
    }
    for (const problem of problems) found.push(`${path}:${problem}`);
    const noNetwork = half.noNetwork?.layer === layer.name;
    if (noNetwork) {
      for (const name of new Set(network)) found.push(`${path}: ${layer.name} use ${name}`);
    }
    for (const { specifier, line } of imports) {
      const at = `${path}:${line}`;
      if (!specifier.startsWith('.')) {
        const banned = layer.noPackages?.find(
          (name) =>
            name === '*' ||
            specifier === name ||
            (name.endsWith('/') && specifier.startsWith(name)),
        );
        if (banned) found.push(`${at} ${layer.name} imports the package ${specifier}`);
        continue;
      }
      const target = resolveImport(root, path, specifier);
      if (target === undefined) {
        found.push(`${at} imports ${specifier}, which is no file`);
        continue;
      }
      if (!target.endsWith('.ts')) continue; // a style sheet or other asset
      const targetLayer = layerOf(half, target);
      if (!targetLayer) {
        found.push(`${at} imports ${target}, outside the layers of ${half.root}/`);
        continue;
      }
      const allowed =
        targetLayer === layer ||
        targetLayer === half.below ||
        layer.mayImport.includes(targetLayer.name) ||
        layer.mayImport.includes(target);
      if (!allowed) {
        found.push(`${at} ${layer.name} imports ${targetLayer.name} (${target})`);
        continue;
      }
      if (noNetwork && half.noNetwork?.transport.includes(target)) {
        found.push(`${at} ${layer.name} imports the transport ${target}`);
      }
      if (routes && routeModule(target) && path !== mounting && half.layers[0] !== layer) {
        found.push(`${at} a route module imports the route module ${target}`);
      }
      const toHelper = routes?.signinHelpers.some((place) => inPlace(half, place, target));
      const fromHelper = routes?.signinHelpers.some((place) => inPlace(half, place, path));
      if (toHelper && !fromHelper && !mounted.has(path)) {
        found.push(`${at} a route not mounted by ${mounting} imports the sign-in helper ${target}`);
      }
    }
  }
  return found.sort();
}

describe('import boundaries', () => {
  test('every form of import is read, with its line; property names are not network calls', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import './c.css';",
      "export { d } from './d.js';",
      "export * from './e.js';",
      "import f = require('./f.js');",
      "type G = typeof import('./g.js');",
      "const h = await import('./h.js');",
      'const i = await import(name);',
      'export const j = new Hono();',
      'await fetch("/api"); const k = { fetch: 1 }; k.fetch; navigator.sendBeacon("/x");',
    ].join('\n');
    const read = scan('all.ts', text);
    expect(read.imports).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: './b.js', line: 2 },
      { specifier: './c.css', line: 3 },
      { specifier: './d.js', line: 4 },
      { specifier: './e.js', line: 5 },
      { specifier: './f.js', line: 6 },
      { specifier: './g.js', line: 7 },
      { specifier: './h.js', line: 8 },
    ]);
    expect(read.problems).toEqual(['line 9: import() of a computed path']);
    expect(read.definesRoutes).toBe(true);
    expect(read.network).toEqual(['fetch', 'sendBeacon']);
  });

  test('the bad fixture breaks each rule once, and each break is caught', () => {
    expect([
      ...violations(fixtureRoot, server),
      ...violations(fixtureRoot, client),
      ...violations(fixtureRoot, contract),
    ]).toEqual([
      'server/auth/hono-user.ts:2 auth imports the package hono',
      'server/auth/sessions.ts:2 auth imports http (server/http/no-store.ts)',
      'server/chat/relay.ts:2 chat imports auth (server/auth/sessions.ts)',
      'server/db/user-store.ts:3 imports client/src/protocol/wire.ts, outside the layers of server/',
      'server/db/user-store.ts:4 db imports auth (server/auth/sessions.ts)',
      'server/routes/account.ts:3 sign-in routes imports db (server/db/user-store.ts)',
      'server/routes/chat.ts:3 a route not mounted by server/routes/auth-routes.ts imports the sign-in helper server/routes/auth/refusals.ts',
      'server/routes/reports.ts:5 routes imports schema (server/db/schema.ts)',
      'server/routes/reports.ts:6 routes imports composition root (server/main.ts)',
      'server/routes/unlock.ts:3 a route module imports the route module server/routes/signin.ts',
      'server/tools/orphan.ts is in no layer of server/',
      'client/src/components/chat-box.ts: components use fetch',
      'client/src/components/session-row.ts:1 components imports the transport client/src/services/api.ts',
      'client/src/keystore/store.ts:1 keystore imports services (client/src/services/api.ts)',
      'client/src/protocol/wire.ts:1 protocol imports keystore (client/src/keystore/store.ts)',
      'client/src/services/chat.ts:1 services imports pages (client/src/pages/chat-page.ts)',
      'contract/codes.ts:3 contract imports the package zod',
      'contract/codes.ts:4 imports server/db/schema.ts, outside the layers of contract/',
    ]);
  });

  test.each([
    ['server', server],
    ['client/src', client],
    ['contract', contract],
  ])('%s/ keeps its layers', (_, half) => {
    expect(violations(repoRoot, half)).toEqual([]);
  });

  test('the scan sees the files and imports it should (it is not vacuous)', () => {
    const files = listFiles(repoRoot, 'server').filter(server.isProduction);
    expect(files).toEqual(
      expect.arrayContaining(['server/routes/signin.ts', 'server/db/schema.ts', 'server/main.ts']),
    );
    const signin = scan(
      'signin.ts',
      readFileSync(join(repoRoot, 'server/routes/signin.ts'), 'utf8'),
    );
    expect(signin.definesRoutes).toBe(true);
    expect(signin.imports.length).toBeGreaterThan(5);
    expect(listFiles(repoRoot, 'client/src').filter(client.isProduction)).toEqual(
      expect.arrayContaining(['client/src/components/chat-composer.ts', 'client/src/main.ts']),
    );
    expect(listFiles(repoRoot, 'contract').filter(contract.isProduction)).toEqual(
      expect.arrayContaining(['contract/api-errors.ts', 'contract/relay.ts']),
    );
    const errors = scan('errors.ts', readFileSync(join(repoRoot, 'server/http/errors.ts'), 'utf8'));
    const targets = errors.imports.map((ref) =>
      resolveImport(repoRoot, 'server/http/errors.ts', ref.specifier),
    );
    expect(targets).toContain('contract/api-errors.ts');
  });
});
