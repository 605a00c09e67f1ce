/**
 * CAPTCHA answers: drawn from an alphabet without look-alikes by rejection sampling, kept
 * server-side only as a hash, compared case-insensitively in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../random.js';

/**
 * Upper-case letters and digits without look-alikes once distorted: none of 0/O/Q, 1/I/L, 2/Z,
 * 5/S, 8/B, and G (kept: 6). 23 symbols; 6 of them make about 27 bits. Shown upper-case; typed
 * in either case.
 */
export const CAPTCHA_ALPHABET = 'ACDEFHJKMNPRTUVWXY34679';
export const CAPTCHA_LENGTH = 6;

/** A uniformly random answer: bytes at or above the largest multiple of the alphabet are redrawn. */
export function generateCaptchaAnswer(random: RandomSource, length = CAPTCHA_LENGTH): string {
  if (!Number.isInteger(length) || length < 1 || length > 32) {
    throw new Error('a CAPTCHA answer has 1 to 32 characters');
  }
  const size = CAPTCHA_ALPHABET.length;
  const limit = 256 - (256 % size);
  let answer = '';
  while (answer.length < length) {
    for (const byte of random.bytes(length * 2)) {
      if (byte < limit && answer.length < length) answer += CAPTCHA_ALPHABET[byte % size];
    }
  }
  return answer;
}

/** What the user typed, made comparable: NFKC, spaces removed, upper case. */
function canonicalAnswer(answer: string): string {
  return answer.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
}

/**
 * The stored form of an answer: SHA-256 of its canonical form. The hash gives a fixed-length
 * constant-time comparison and keeps the answer out of logs and rows; it is not meant to resist
 * an offline search (27 bits) — the challenge is single use and expires within minutes.
 */
export function hashCaptchaAnswer(answer: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(canonicalAnswer(answer)).digest());
}

/** Case-insensitive, ignores surrounding and inner spaces, constant time. */
export function captchaAnswersMatch(expectedHash: Uint8Array, given: string): boolean {
  if (expectedHash.length !== 32 || given.length > 256) return false;
  return timingSafeEqual(hashCaptchaAnswer(given), expectedHash);
}
