import { describe, expect, it } from 'vitest';
import { isEnglishWord, loadEnglishWords } from './english-words.js';

describe('the dictionary word list', () => {
  it('is built by loadEnglishWords (as main.ts does at start-up), so the first lookup — the first sign-up — costs no rebuild on the event loop', () => {
    const buildStarted = performance.now();
    const size = loadEnglishWords();
    const buildMs = performance.now() - buildStarted;
    expect(size).toBeGreaterThan(100_000);
    // The first lookups after it: a fraction of the build (ratio, so a loaded machine passes).
    const lookupStarted = performance.now();
    const found = ['horse', 'battery', 'staple'].map(isEnglishWord);
    const lookupMs = performance.now() - lookupStarted;
    expect(found).toEqual([true, true, true]);
    expect(isEnglishWord('xqzvbw')).toBe(false);
    expect(lookupMs * 20).toBeLessThan(buildMs);
    // A second load builds nothing again.
    const againStarted = performance.now();
    expect(loadEnglishWords()).toBe(size);
    expect((performance.now() - againStarted) * 20).toBeLessThan(buildMs);
  });
});
