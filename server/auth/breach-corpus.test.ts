import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BreachCorpus,
  breachCorpusFromText,
  defaultBreachCorpusFile,
  fnv1a64,
  loadBreachCorpus,
} from './breach-corpus.js';

const encode = (text: string) => new TextEncoder().encode(text);
const hex = (h: { high: number; low: number }) =>
  h.high.toString(16).padStart(8, '0') + h.low.toString(16).padStart(8, '0');

describe('fnv1a64', () => {
  it('matches the published FNV-1a 64-bit test vectors', () => {
    expect(hex(fnv1a64(encode('')))).toBe('cbf29ce484222325');
    expect(hex(fnv1a64(encode('a')))).toBe('af63dc4c8601ec8c');
    expect(hex(fnv1a64(encode('foobar')))).toBe('85944171f73967e8');
  });

  it('hashes a slice the same as a copy of it', () => {
    const bytes = encode('xxfoobaryy');
    expect(fnv1a64(bytes, 2, 8)).toEqual(fnv1a64(encode('foobar')));
  });
});

describe('breachCorpusFromText', () => {
  it('holds each line, exactly and in lower case, with LF or CRLF endings', () => {
    const corpus = breachCorpusFromText(encode('Hunter2\r\nletmein\n\nMiXeD99'));
    expect(corpus.has('Hunter2')).toBe(true);
    expect(corpus.has('hunter2')).toBe(true);
    expect(corpus.has('HUNTER2')).toBe(false); // exact; callers also look up the lower-case form
    expect(corpus.has('letmein')).toBe(true);
    expect(corpus.has('mixed99')).toBe(true);
    expect(corpus.has('MiXeD99')).toBe(true);
    expect(corpus.has('')).toBe(false);
    expect(corpus.has('Hunter2\r')).toBe(false);
    expect(corpus.size).toBe(5);
  });

  it('drops duplicates', () => {
    expect(breachCorpusFromText(encode('same\nsame\nsame\n')).size).toBe(1);
  });

  it('normalises non-ASCII entries to NFKC and reads Latin-1 where UTF-8 is invalid', () => {
    const latin1Line = Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x31]); // "café1" in Latin-1
    const text = new Uint8Array([...encode('cafe\u0301 noir\n'), ...latin1Line]);
    const corpus = breachCorpusFromText(text);
    expect(corpus.has('caf\u00e9 noir')).toBe(true);
    expect(corpus.has('caf\u00e91')).toBe(true);
  });
});

/** The list's entries as the loader reads them: UTF-8 where valid, else Latin-1, then NFKC. */
function readListedPasswords(): string[] {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return readFileSync(defaultBreachCorpusFile(), 'latin1')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      if (!/[^ -~]/.test(line)) return line;
      try {
        return utf8.decode(Buffer.from(line, 'latin1')).normalize('NFKC');
      } catch {
        return line.normalize('NFKC');
      }
    });
}

describe('loadBreachCorpus (the installed "top 1M" list)', () => {
  let corpus: BreachCorpus;
  let loadMs: number;
  let lines: string[];
  beforeAll(() => {
    const start = performance.now();
    corpus = loadBreachCorpus();
    loadMs = performance.now() - start;
    lines = readListedPasswords();
  });

  it('holds the 999,999 passwords and the lower-case forms of the mixed-case ones', () => {
    expect(lines.length).toBe(999_999);
    const distinct = new Set([...lines, ...lines.map((line) => line.toLowerCase())]).size;
    // Every distinct string got its own 64-bit hash: no collision inside the corpus.
    expect(corpus.size).toBe(distinct);
  });

  it('finds every listed password', () => {
    expect(lines.every((line) => corpus.has(line))).toBe(true);
    expect(lines.every((line) => corpus.has(line.toLowerCase()))).toBe(true);
    for (const index of [0, 1, 2, 500_000, 999_998]) {
      expect(corpus.has(lines[index]!), lines[index]).toBe(true);
    }
    expect(corpus.has('password')).toBe(true);
    expect(corpus.has('correct horse battery staple')).toBe(false);
    expect(corpus.has('Kp7#vR2!mZ9$qW4&')).toBe(false);
  });

  it('fits in 16 MiB and loads in well under a few seconds', () => {
    expect(corpus.size * 8).toBeLessThan(16 * 2 ** 20);
    expect(loadMs).toBeLessThan(5_000);
  });

  it('answers a lookup in microseconds', () => {
    const start = performance.now();
    for (let i = 0; i < 10_000; i += 1) corpus.has(`not listed ${i}`);
    const microseconds = ((performance.now() - start) * 1000) / 10_000;
    expect(microseconds).toBeLessThan(50);
  });
});
