/**
 * The optional online breach check: the Have I Been Pwned range API with k-anonymity (only the
 * first 5 hex digits of the password's SHA-1 leave the server) and response padding. Off by
 * default; on 'unavailable' the caller relies on the offline corpus alone.
 */

export type PwnedPasswordsResult = 'breached' | 'clean' | 'unavailable';

export interface PwnedPasswordsChecker {
  check(normalizedPassword: string): Promise<PwnedPasswordsResult>;
}

export const PWNED_PASSWORDS_DEFAULT_API = 'https://api.pwnedpasswords.com/range';

export interface PwnedPasswordsOptions {
  fetch: typeof globalThis.fetch;
  /** Give up (and answer 'unavailable') after this long. */
  timeoutMs: number;
  /** The range endpoint; the 5-hex-digit prefix is appended after a '/'. */
  baseUrl?: string;
}

export function createPwnedPasswordsChecker(options: PwnedPasswordsOptions): PwnedPasswordsChecker {
  void options;
  throw new Error('createPwnedPasswordsChecker: not implemented yet');
}
