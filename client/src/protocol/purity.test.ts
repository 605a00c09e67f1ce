/**
 * The protocol folder is pure: no DOM, storage or network APIs, no Node built-ins, no packages,
 * no Math.random, no Date (the clock is the `now()` handed in) — only WebCrypto
 * (`crypto.subtle`) and the state handed in. This test parses every production file with the
 * TypeScript compiler and fails on any such reference, so the rule holds by check rather than
 * by hope. The layers around protocol/ are held by docs/layers.test.ts.
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

/** Every violation in one source text: forbidden globals, Math.random, non-local imports. */
function impurities(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const specifier = node.moduleSpecifier;
      if (specifier && ts.isStringLiteral(specifier)) {
        const path = specifier.text;
        if (!path.startsWith('./') || path.includes('/', 2) || /test/.test(path)) {
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

const productionFiles = readdirSync(folder).filter(
  (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'test-support.ts',
);

describe('protocol purity', () => {
  test('the checker catches what it should, and not property names or comments', () => {
    const bad = [
      "import { x } from '../keystore/keystore.js';",
      "import { readFileSync } from 'node:fs';",
      "import { t } from './test-support.js';",
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
      '// localStorage and window are only mentioned here',
      'const self = "alice"; const o = { document: 1, fetch: 2, Date: 3 };',
      'const k = await globalThis.crypto.subtle.digest("SHA-256", new Uint8Array());',
      'const text = "navigator";',
    ].join('\n');
    expect(impurities('fine.ts', fine)).toEqual([]);
  });

  test.each(productionFiles)(
    '%s touches no DOM, storage, network, ambient randomness or wall clock',
    (name) => {
      expect(impurities(name, readFileSync(join(folder, name), 'utf8'))).toEqual([]);
    },
  );

  test('the folder has the production files this test expects to scan', () => {
    expect(productionFiles).toEqual(
      expect.arrayContaining(['conversation.ts', 'schema.ts', 'index.ts']),
    );
  });
});
