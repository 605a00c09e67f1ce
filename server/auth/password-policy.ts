/**
 * The password policy of NIST SP 800-63B §5.1.1.2: length in Unicode code points after NFKC,
 * every printable character allowed, no composition rules, and a blocklist (breached passwords,
 * dictionary words, repetitive and sequential strings, context words). Pure: the breach corpus
 * is passed in.
 */
import type { BreachCorpus } from './breach-corpus.js';

export const PASSWORD_MIN_CODE_POINTS = 8;
/** A generous cap (NIST asks to allow at least 64); longer passwords get a clear error. */
export const PASSWORD_MAX_CODE_POINTS = 256;

export type PasswordRejection =
  | 'too_short'
  | 'too_long'
  | 'invalid_characters'
  | 'breached'
  | 'dictionary_word'
  | 'repetitive'
  | 'sequential'
  | 'context_word';

export type PasswordVerdict =
  | { ok: true; normalized: string }
  | { ok: false; code: PasswordRejection; message: string };

export interface PasswordContext {
  /** The account's username: the password may not contain it. */
  username: string;
  /** Other words of the context: 'parley', the labels of the site's hostname. */
  contextWords: readonly string[];
}

/** NFKC, as §5.1.1.2 suggests; hash and compare only the normalised form. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Checks a candidate password at sign-up or change; returns the normalised form to hash. */
export function checkPassword(
  password: string,
  context: PasswordContext,
  corpus: BreachCorpus,
): PasswordVerdict {
  void password;
  void context;
  void corpus;
  throw new Error('checkPassword: not implemented yet');
}
