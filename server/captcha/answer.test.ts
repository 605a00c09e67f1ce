import { describe, expect, it } from 'vitest';
import type { RandomSource } from '../random.js';
import { systemRandom } from '../random.js';
import {
  CAPTCHA_ALPHABET,
  CAPTCHA_LENGTH,
  captchaAnswersMatch,
  generateCaptchaAnswer,
  hashCaptchaAnswer,
} from './answer.js';

/** A deterministic random source that hands out the given bytes in a loop. */
function bytesInOrder(values: readonly number[]): RandomSource {
  let next = 0;
  return {
    bytes(length) {
      return Uint8Array.from({ length }, () => values[next++ % values.length]!);
    },
  };
}

describe('CAPTCHA_ALPHABET', () => {
  it('has no look-alikes: no 0/O, 1/l/I and no lower case', () => {
    for (const char of '0OQ1lIi2Z5S8BGabcdefghijklmnopqrstuvwxyz') {
      expect(CAPTCHA_ALPHABET).not.toContain(char);
    }
    expect(new Set(CAPTCHA_ALPHABET).size).toBe(CAPTCHA_ALPHABET.length);
    expect(CAPTCHA_ALPHABET).toMatch(/^[A-Z0-9]+$/);
  });
});

describe('generateCaptchaAnswer', () => {
  it('makes 6 characters from the alphabet by default, and other lengths on request', () => {
    for (let i = 0; i < 200; i += 1) {
      const answer = generateCaptchaAnswer(systemRandom);
      expect(answer).toHaveLength(CAPTCHA_LENGTH);
      for (const char of answer) expect(CAPTCHA_ALPHABET).toContain(char);
    }
    expect(generateCaptchaAnswer(systemRandom, 8)).toHaveLength(8);
    expect(() => generateCaptchaAnswer(systemRandom, 0)).toThrow();
  });

  it('redraws bytes at or above the largest multiple of the alphabet size (no modulo bias)', () => {
    const size = CAPTCHA_ALPHABET.length;
    const limit = 256 - (256 % size);
    // Bytes 253..255 would map to the first letters again; they must be skipped.
    const answer = generateCaptchaAnswer(
      bytesInOrder([limit, 255, 1, limit + 1, 2, 3, 4, 5, 6]),
      6,
    );
    expect(answer).toBe([1, 2, 3, 4, 5, 6].map((i) => CAPTCHA_ALPHABET[i]).join(''));
  });

  it('spreads characters evenly (chi-squared over 46,000 draws)', () => {
    const counts = new Map<string, number>();
    const draws = 46_000;
    const text = generateCaptchaAnswer(systemRandom, 23).length; // warm-up
    expect(text).toBe(23);
    let total = 0;
    while (total < draws) {
      for (const char of generateCaptchaAnswer(systemRandom, 20)) {
        counts.set(char, (counts.get(char) ?? 0) + 1);
        total += 1;
      }
    }
    const expected = total / CAPTCHA_ALPHABET.length;
    let chiSquared = 0;
    for (const char of CAPTCHA_ALPHABET)
      chiSquared += ((counts.get(char) ?? 0) - expected) ** 2 / expected;
    // 22 degrees of freedom: the 99.99th percentile is about 57.
    expect(chiSquared).toBeLessThan(57);
  });
});

describe('captchaAnswersMatch', () => {
  const stored = hashCaptchaAnswer('K7MRX4');

  it('accepts the answer in any case, with stray spaces', () => {
    expect(captchaAnswersMatch(stored, 'K7MRX4')).toBe(true);
    expect(captchaAnswersMatch(stored, 'k7mrx4')).toBe(true);
    expect(captchaAnswersMatch(stored, ' k7m rx4 ')).toBe(true);
    expect(captchaAnswersMatch(stored, 'Ｋ７ＭＲＸ４')).toBe(true); // full-width, as some IMEs type
  });

  it('refuses a wrong, partial, longer or empty answer', () => {
    for (const given of ['K7MRX', 'K7MRX44', 'K7MRY4', '', 'X'.repeat(10_000)]) {
      expect(captchaAnswersMatch(stored, given), given).toBe(false);
    }
  });

  it('refuses when the stored hash is not a SHA-256', () => {
    expect(captchaAnswersMatch(new Uint8Array(0), '')).toBe(false);
    expect(captchaAnswersMatch(stored.slice(0, 16), 'K7MRX4')).toBe(false);
  });

  it('stores a 32-byte hash, never the answer itself', () => {
    expect(stored).toHaveLength(32);
    expect(Buffer.from(stored).toString('latin1')).not.toContain('K7MRX4');
  });
});
