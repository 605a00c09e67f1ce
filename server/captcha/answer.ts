/**
 * CAPTCHA answers: drawn from an alphabet without look-alikes by rejection sampling, kept
 * server-side only as a hash, compared case-insensitively in constant time.
 */
import type { RandomSource } from '../random.js';

/** Upper-case letters and digits without look-alikes (no 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G). */
export const CAPTCHA_ALPHABET = 'ACDEFHJKMNPRTUVWXY34679';
export const CAPTCHA_LENGTH = 6;

export function generateCaptchaAnswer(random: RandomSource, length = CAPTCHA_LENGTH): string {
  void random;
  void length;
  throw new Error('generateCaptchaAnswer: not implemented yet');
}

/** The stored form of an answer (SHA-256 of its canonical upper-case form). */
export function hashCaptchaAnswer(answer: string): Uint8Array {
  void answer;
  throw new Error('hashCaptchaAnswer: not implemented yet');
}

/** Case-insensitive, ignores surrounding and inner spaces, constant time. */
export function captchaAnswersMatch(expectedHash: Uint8Array, given: string): boolean {
  void expectedHash;
  void given;
  throw new Error('captchaAnswersMatch: not implemented yet');
}
