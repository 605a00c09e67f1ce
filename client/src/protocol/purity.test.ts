/**
 * The protocol folder is pure: no DOM, storage or network APIs, no Node built-ins, no packages,
 * no Math.random, no Date (the clock is the `now()` handed in) — only WebCrypto
 * (`crypto.subtle`) and the state handed in. This test parses every production file with the
 * TypeScript compiler and fails on any such reference, so the rule holds by check rather than
 * by hope. The protocol may import the contract (contract/: the wire's sizes, codec and
 * validator), which is held to the same rules and imports only itself. The layers around
 * protocol/ are held by docs/layers.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const folder = dirname(fileURLToPath(import.meta.url));

/** Globals a pure protocol file must not name. */
const forbiddenGlobals = new Set([
  'document',
  'window',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'caches',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'EventSource',
  'BroadcastChannel',
  'navigator',
  'location',
  'process',
  'require',
  'Buffer',
  'setTimeout',
  'setInterval',
  // The wall clock: conversation.ts takes time as an injected now(), so tests can fake it.
  'Date',
]);

/** Reached through another object (`self.localStorage`, `globalThis.fetch`), still impure. */
const forbiddenMembers = new Set([
  'document',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'navigator',
]);

/** How a protocol file names a contract module (contract/, pure by the same rules). */
const contractImport = /^\.\.\/\.\.\/\.\.\/contract\/[a-z0-9-]+\.js$/;

/**
 * Every violation in one source text: forbidden globals, Math.random, non-local imports. A
 * protocol file may also import the contract; a contract file only its own folder.
 */
function impurities(fileName: string, text: string, mayImportContract = true): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const specifier = node.moduleSpecifier;
      if (specifier && ts.isStringLiteral(specifier)) {
        const path = specifier.text;
        const local = path.startsWith('./') && !path.includes('/', 2);
        const contract = mayImportContract && contractImport.test(path);
        if ((!local && !contract) || /test/.test(path)) {
          found.push(`import "${path}"`);
        }
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      found.push('dynamic import()');
    }
    if (ts.isIdentifier(node) && forbiddenGlobals.has(node.text)) {
      const parent = node.parent;
      const isMemberName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isPropertySignature(parent) && parent.name === node) ||
        (ts.isMethodDeclaration(parent) && parent.name === node);
      if (!isMemberName) found.push(node.text);
    }
    if (ts.isPropertyAccessExpression(node)) {
      const text = node.getText(source).replace(/\s/g, '');
      if (text === 'Math.random' || /^globalThis\.(?!crypto(\.|$))/.test(text)) found.push(text);
      else if (forbiddenMembers.has(node.name.text)) found.push(text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const isProduction = (name: string) =>
  name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'test-support.ts';
const productionFiles = readdirSync(folder).filter(isProduction);
/** The contract, which protocol/ builds on: held to the same rules. */
const contractFolder = join(folder, '..', '..', '..', 'contract');
const contractFiles = readdirSync(contractFolder).filter(isProduction);

describe('protocol purity', () => {
  test('the checker catches what it should, and not property names or comments', () => {
    const bad = [
      "import { x } from '../keystore/keystore.js';",
      "import { readFileSync } from 'node:fs';",
      "import { t } from './test-support.js';",
      "import { s } from '../../../contract/../server/x.js';",
      'const a = localStorage.getItem("k");',
      'window.addEventListener("x", () => {});',
      'await fetch("/api");',
      'const s = new WebSocket("wss://x");',
      'const l = navigator.locks;',
      'const r = Math.random();',
      'const t = Date.now();',
      'const d = globalThis.document;',
      'const w = self.localStorage;',
      'const m = await import("./x.js");',
    ].join('\n');
    expect(impurities('bad.ts', bad)).toEqual([
      'import "../keystore/keystore.js"',
      'import "node:fs"',
      'import "./test-support.js"',
      'import "../../../contract/../server/x.js"',
      'localStorage',
      'window',
      'fetch',
      'WebSocket',
      'navigator',
      'Math.random',
      'Date',
      'globalThis.document',
      'self.localStorage',
      'dynamic import()',
    ]);
    const fine = [
      "import { a } from './encoding.js';",
      "import { p } from '../../../contract/protocol.js';",
      '// localStorage and window are only mentioned here',
      'const self = "alice"; const o = { document: 1, fetch: 2, Date: 3 };',
      'const k = await globalThis.crypto.subtle.digest("SHA-256", new Uint8Array());',
      'const text = "navigator";',
    ].join('\n');
    expect(impurities('fine.ts', fine)).toEqual([]);
    // The contract itself imports only its own files.
    expect(
      impurities('contract.ts', "import { p } from '../../../contract/protocol.js';", false),
    ).toEqual(['import "../../../contract/protocol.js"']);
  });

  test.each(productionFiles)(
    '%s touches no DOM, storage, network, ambient randomness or wall clock',
    (name) => {
      expect(impurities(name, readFileSync(join(folder, name), 'utf8'))).toEqual([]);
    },
  );

  test.each(contractFiles)('contract/%s is as pure, importing only the contract', (name) => {
    expect(impurities(name, readFileSync(join(contractFolder, name), 'utf8'), false)).toEqual([]);
  });

  test('the folder has the production files this test expects to scan', () => {
    expect(productionFiles).toEqual(
      expect.arrayContaining(['conversation.ts', 'schema.ts', 'index.ts']),
    );
    expect(contractFiles).toEqual(expect.arrayContaining(['protocol.ts', 'encoding.ts']));
  });
});
