/**
 * The client's composition root (docs/architecture.md, "Client composition root"), held against the
 * code beside the import boundaries of docs/layers.test.ts:
 *
 * - Pages and components never construct services. main.ts builds them and the app shell hands
 *   them down (a Lit context); a page or component imports a factory module — every module of
 *   keystore/, services/outbox-storage.ts, and every module of services/ that exports a
 *   synchronous `create…` function — for its types only, and `new`s no class it imports from
 *   services/ or keystore/.
 * - Components and pages emit typed events: one `Event` subclass per event, never a bare
 *   `new Event(…)` or `new CustomEvent(…)`.
 * - Every custom element has its `HTMLElementTagNameMap` entry, in the file that defines it.
 *
 * Read with the TypeScript parser. The checker first proves itself on docs/composition-fixture/,
 * a small tree that breaks each rule once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
const fixtureRoot = join(import.meta.dirname, 'composition-fixture');
const client = 'client/src';
/** They take services from the composition root. */
const consumers = ['pages/', 'components/'];
/** The layers whose classes and factories the composition root alone uses. */
const serviceLayers = ['services/', 'keystore/'];
/** Modules that build services besides those exporting a synchronous `create…` function. */
const factoryPlaces = ['keystore/', 'services/outbox-storage.ts'];

interface Import {
  specifier: string;
  line: number;
  /** `import type`, or only `type` names: nothing of the module runs. */
  typeOnly: boolean;
  /** The local names of the values it binds. */
  values: string[];
}

interface Scan {
  imports: Import[];
  /** `new X(…)` of an identifier. */
  constructs: { name: string; line: number }[];
  /** `customElements.define('tag', …)`. */
  defines: { tag: string; line: number }[];
  /** Keys of `interface HTMLElementTagNameMap` blocks. */
  tagMap: Set<string>;
  /** It exports a synchronous function named `create…` (a service factory). */
  exportsFactory: boolean;
  problems: string[];
}

const isExported = (node: ts.Node) =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

const isAsync = (node: ts.SignatureDeclaration) =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);

const returnsPromise = (node: ts.SignatureDeclaration) =>
  node.type !== undefined &&
  ts.isTypeReferenceNode(node.type) &&
  node.type.typeName.getText() === 'Promise';

const isFactoryName = (name: string) => /^create[A-Z]/.test(name);

function scan(fileName: string, text: string): Scan {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const result: Scan = {
    imports: [],
    constructs: [],
    defines: [],
    tagMap: new Set(),
    exportsFactory: false,
    problems: [],
  };
  const lineOf = (node: ts.Node) =>
    source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const synchronous = (fn: ts.SignatureDeclaration) => !isAsync(fn) && !returnsPromise(fn);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const values: string[] = [];
      if (clause && !clause.isTypeOnly) {
        if (clause.name) values.push(clause.name.text);
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) values.push(bindings.name.text);
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) {
            if (!element.isTypeOnly) values.push(element.name.text);
          }
        }
      }
      // A bare `import './x.js'` runs the module: not type-only.
      const typeOnly = clause !== undefined && values.length === 0;
      result.imports.push({
        specifier: node.moduleSpecifier.text,
        line: lineOf(node),
        typeOnly,
        values,
      });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      result.imports.push({
        specifier: node.arguments[0].text,
        line: lineOf(node),
        typeOnly: false,
        values: [],
      });
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
      result.constructs.push({ name: node.expression.text, line: lineOf(node) });
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'define' &&
      node.expression.expression.getText(source).endsWith('customElements')
    ) {
      const tag = node.arguments[0];
      if (tag && ts.isStringLiteral(tag))
        result.defines.push({ tag: tag.text, line: lineOf(node) });
      else result.problems.push(`line ${lineOf(node)}: customElements.define of a computed tag`);
    } else if (ts.isInterfaceDeclaration(node) && node.name.text === 'HTMLElementTagNameMap') {
      for (const member of node.members) {
        if (member.name && (ts.isStringLiteral(member.name) || ts.isIdentifier(member.name))) {
          result.tagMap.add(member.name.text);
        }
      }
    } else if (
      ts.isFunctionDeclaration(node) &&
      isExported(node) &&
      node.name &&
      isFactoryName(node.name.text) &&
      synchronous(node)
    ) {
      result.exportsFactory = true;
    } else if (ts.isVariableStatement(node) && isExported(node)) {
      for (const declaration of node.declarationList.declarations) {
        const init = declaration.initializer;
        if (
          ts.isIdentifier(declaration.name) &&
          isFactoryName(declaration.name.text) &&
          init &&
          (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) &&
          synchronous(init)
        )
          result.exportsFactory = true;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return result;
}

function listFiles(root: string, folder: string): string[] {
  const here = join(root, folder);
  if (!existsSync(here)) return [];
  return readdirSync(here, { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return listFiles(root, path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** A relative specifier as the repository-relative file it names, or undefined. */
function resolveImport(root: string, fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(root, dirname(fromFile), specifier);
  const found = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, join(target, 'index.ts')]
    .filter((path) => path.endsWith('.ts'))
    .find((path) => existsSync(path) && statSync(path).isFile());
  return found === undefined ? undefined : relative(root, found).split('\\').join('/');
}

const under = (places: string[], path: string) =>
  places.some((place) =>
    place.endsWith('/') ? path.startsWith(`${client}/${place}`) : path === `${client}/${place}`,
  );

const layerName = (path: string) => path.slice(client.length + 1).split('/')[0] ?? path;

/** Every broken rule under root's client/src, one line each: `file:line what`. */
function violations(root: string): string[] {
  const files = listFiles(root, client).filter((path) => !path.endsWith('/test-support.ts'));
  const scans = new Map(
    files.map((path) => [path, scan(path, readFileSync(join(root, path), 'utf8'))]),
  );
  const isFactory = (path: string) =>
    under(factoryPlaces, path) ||
    (under(serviceLayers, path) && scans.get(path)?.exportsFactory === true);
  const found: string[] = [];
  for (const [path, read] of scans) {
    for (const problem of read.problems) found.push(`${path}:${problem}`);
    for (const { tag, line } of read.defines) {
      if (!read.tagMap.has(tag)) {
        found.push(`${path}:${line} defines <${tag}> with no HTMLElementTagNameMap entry`);
      }
    }
    if (!under(consumers, path)) continue;
    const layer = layerName(path);
    const imported = new Map<string, string>();
    for (const ref of read.imports) {
      const target = resolveImport(root, path, ref.specifier);
      if (!target || !under(serviceLayers, target)) continue;
      for (const name of ref.values) imported.set(name, target);
      if (isFactory(target) && !ref.typeOnly) {
        found.push(
          `${path}:${ref.line} ${layer} import the factory module ${target} for more than types`,
        );
      }
    }
    for (const { name, line } of read.constructs) {
      const from = imported.get(name);
      if (from) found.push(`${path}:${line} ${layer} construct ${name} (from ${from})`);
      if ((name === 'Event' || name === 'CustomEvent') && !imported.has(name)) {
        found.push(`${path}:${line} ${layer} dispatch an untyped new ${name}()`);
      }
    }
  }
  return found.sort();
}

describe('the client composition root', () => {
  test('the bad fixture breaks each rule once, and each break is caught', () => {
    expect(violations(fixtureRoot)).toEqual([
      'client/src/components/counter-badge.ts:5 components construct Counter (from client/src/services/credential.ts)',
      'client/src/components/counter-badge.ts:7 components dispatch an untyped new CustomEvent()',
      'client/src/components/plain-tag.ts:4 defines <fixture-plain-tag> with no HTMLElementTagNameMap entry',
      'client/src/pages/relay-page.ts:2 pages import the factory module client/src/keystore/store.ts for more than types',
      'client/src/pages/relay-page.ts:3 pages import the factory module client/src/services/relay.ts for more than types',
    ]);
  });

  test('client/src/ keeps to it', () => {
    expect(violations(repoRoot)).toEqual([]);
  });

  test('the scan sees what it should (it is not vacuous)', () => {
    const read = (path: string) => scan(path, readFileSync(join(repoRoot, path), 'utf8'));
    const chatPage = read(`${client}/pages/chat-page.ts`);
    expect(chatPage.defines).toEqual([{ tag: 'parley-chat-page', line: expect.any(Number) }]);
    expect(chatPage.tagMap).toEqual(new Set(['parley-chat-page']));
    // Its types come from the factory modules, and nothing else of them.
    expect(chatPage.imports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ specifier: '../services/chat.js', typeOnly: true }),
        expect.objectContaining({ specifier: '../services/chat-relay.js', typeOnly: true }),
      ]),
    );
    expect(read(`${client}/services/chat.ts`).exportsFactory).toBe(true);
    expect(read(`${client}/services/chat-services.ts`).exportsFactory).toBe(true);
    expect(read(`${client}/services/security-key.ts`).exportsFactory).toBe(false);
    const defined = [...scanAll(repoRoot)].flatMap((s) => s.defines.map((d) => d.tag));
    expect(defined).toEqual(
      expect.arrayContaining(['parley-app', 'parley-chat-composer', 'parley-signup-page']),
    );
    expect(defined.length).toBeGreaterThanOrEqual(20);
  });
});

function scanAll(root: string): Scan[] {
  return listFiles(root, client).map((path) => scan(path, readFileSync(join(root, path), 'utf8')));
}
