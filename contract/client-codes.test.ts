/**
 * No error code is matched by hand in the client: every production file of client/src is read
 * with the TypeScript parser, and a string literal error code (an API or relay code of the
 * contract) compared with `===`/`!==`, used as a `case`, listed in an array (a set to test
 * membership in), or a string test on a `code` (`code.startsWith('captcha_')`) fails here. The
 * pages ask the contract instead: ApiError's `field` and `outcome`, `isPermanentRefusal`,
 * `refusedForSessionEnd`. Making an error (`new ApiError(0, 'network', …)`) is no match: the
 * code's type is the contract's union, so a wrong one does not compile. Another party's codes
 * are not Parley's (SimpleWebAuthn's upper-case `ERROR_…`, matched in services/security-key.ts).
 * The checker first proves itself on a text that matches codes each way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { apiErrors } from './api-errors.js';
import { relayErrors } from './relay.js';

const repoRoot = join(import.meta.dirname, '..');
const errorCodes = new Set([...Object.keys(apiErrors), ...Object.keys(relayErrors)]);

const equality = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

function literalText(node: ts.Node): string | undefined {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)
    ? node.text
    : undefined;
}

/** What a Parley code looks like (lower snake case), known to the contract or not. */
const codeShape = /^[a-z][a-z0-9_]*$/;

/** `code`, `x.code` or `x['code']`: something that holds an error code. */
function namesCode(node: ts.Node): boolean {
  if (ts.isIdentifier(node)) return /code$/i.test(node.text);
  if (ts.isPropertyAccessExpression(node)) return /code$/i.test(node.name.text);
  if (ts.isElementAccessExpression(node)) return literalText(node.argumentExpression) === 'code';
  return false;
}

/** Every hand-made match of an error code in one source text: `line: what`. */
function codeMatches(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push(`${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${what}`);
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && equality.has(node.operatorToken.kind)) {
      for (const [side, other] of [
        [node.left, node.right],
        [node.right, node.left],
      ] as const) {
        const literal = literalText(side);
        const onCode = namesCode(other) && codeShape.test(literal ?? '');
        if (literal !== undefined && (errorCodes.has(literal) || onCode)) {
          at(node, `compares with '${literal}'`);
        }
      }
    } else if (ts.isCaseClause(node)) {
      const literal = literalText(node.expression);
      const onCode = namesCode(node.parent.parent.expression) && codeShape.test(literal ?? '');
      if (literal !== undefined && (errorCodes.has(literal) || onCode)) {
        at(node, `case '${literal}'`);
      }
    } else if (ts.isArrayLiteralExpression(node)) {
      const listed = node.elements.map(literalText).filter((text) => errorCodes.has(text ?? ''));
      if (listed.length > 0) at(node, `lists '${listed.join("', '")}'`);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      namesCode(node.expression.expression) &&
      node.arguments.some((argument) => literalText(argument) !== undefined)
    ) {
      at(node, `tests a code with ${node.expression.name.text}()`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function productionFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)))
    .filter((path) => !path.endsWith('.test.ts') && !path.endsWith('/test-support.ts'));
}

describe('error codes in the client', () => {
  test('the checker catches each form of match, and not the making of an error', () => {
    const text = [
      "if (error.code === 'attempt_expired') restart();",
      "if ('account_locked' !== error.code) return;",
      "if (code == 'something_new') return;",
      'switch (error.code) {',
      "  case 'busy': break;",
      '}',
      "switch (state) { case 'relay_failed': break; case 'open': break; }",
      "const PERMANENT = new Set(['invalid_payload', 'wrong_sender', 'other']);",
      "if (error.code.startsWith('captcha_')) refresh();",
      "if (frame['code'] === 'x') return;",
      // Not matches: making an error, a page's own states, a non-code property.
      "throw new ApiError(0, 'network', NO_ANSWER_MESSAGE);",
      "if (session.kind === 'password_change') go();",
      "if (step === 'form') show();",
      "const steps = ['form', 'key'];",
      "if (error.code === 'ERROR_CEREMONY_ABORTED') cancel();",
    ].join('\n');
    expect(codeMatches('sample.ts', text)).toEqual([
      "1: compares with 'attempt_expired'",
      "2: compares with 'account_locked'",
      "3: compares with 'something_new'",
      "5: case 'busy'",
      "7: case 'relay_failed'",
      "8: lists 'invalid_payload', 'wrong_sender'",
      '9: tests a code with startsWith()',
      "10: compares with 'x'",
    ]);
  });

  test('no file of client/src matches an error code by hand', () => {
    const files = productionFiles('client/src');
    expect(files).toEqual(
      expect.arrayContaining(['client/src/pages/signin-page.ts', 'client/src/services/api.ts']),
    );
    const matches = files.flatMap((path) =>
      codeMatches(path, readFileSync(join(repoRoot, path), 'utf8')).map(
        (match) => `${path}:${match}`,
      ),
    );
    expect(matches).toEqual([]);
  });
});
