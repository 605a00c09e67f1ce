/**
 * XSS: the client never turns a string into markup or code. Lit templates escape every value
 * they render, so the only ways to inject markup are the DOM's HTML sinks, Lit's unsafeHTML
 * directives and code from strings; none appears in the client's source (comments aside). The
 * CSP with Trusted Types (server/http/security-headers.ts) would refuse them at run time too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = import.meta.dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(path) && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** The code without its comments (good enough for this source: no comment markers in strings). */
const withoutComments = (text: string) =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');

const SINKS: [RegExp, string][] = [
  [/\.(innerHTML|outerHTML)\b/, 'innerHTML/outerHTML'],
  [/\binsertAdjacentHTML\b/, 'insertAdjacentHTML'],
  [/\bdocument\.write(ln)?\b/, 'document.write'],
  [/\bcreateContextualFragment\b/, 'createContextualFragment'],
  [/\bunsafe(HTML|SVG)\b/, "Lit's unsafeHTML/unsafeSVG"],
  [/\beval\s*\(/, 'eval'],
  [/\bnew Function\b/, 'new Function'],
];

describe('XSS: no HTML sinks in the client', () => {
  it('no source file writes markup or code from a string', () => {
    const files = sourceFiles(srcDir);
    expect(files.length).toBeGreaterThan(20);
    const findings = files.flatMap((file) => {
      const code = withoutComments(readFileSync(file, 'utf8'));
      return SINKS.filter(([pattern]) => pattern.test(code)).map(
        ([, name]) => `${file.slice(srcDir.length + 1)}: ${name}`,
      );
    });
    expect(findings).toEqual([]);
  });

  it('the checker finds each sink, and ignores one named in a comment', () => {
    for (const [pattern, name] of SINKS) {
      const sample = {
        'innerHTML/outerHTML': 'el.innerHTML = text;',
        insertAdjacentHTML: "el.insertAdjacentHTML('beforeend', text);",
        'document.write': 'document.write(text);',
        createContextualFragment: 'range.createContextualFragment(text);',
        "Lit's unsafeHTML/unsafeSVG": 'html(unsafeHTML(text));',
        eval: 'eval(text);',
        'new Function': 'new Function(text)();',
      }[name];
      expect(pattern.test(withoutComments(sample ?? '')), name).toBe(true);
    }
    expect(withoutComments('// never innerHTML\n/* nor el.innerHTML */ x;')).not.toMatch(
      /innerHTML/,
    );
  });
});
