/**
 * Password records: scrypt (memory-hard, node:crypto on the libuv threadpool) with a 16-byte
 * random salt, then HMAC-SHA-256 keyed with the pepper. The record names algorithm, version,
 * parameters, salt and hash so that parameters can be raised later.
 *
 *   $scrypt-hmac-sha256$v=1$N=131072,r=8,p=1,l=32$<salt base64>$<hash base64>
 */
import type { RandomSource } from '../random.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  /** Length of the scrypt output in bytes (the HMAC output is always 32 bytes). */
  keyLength: number;
  /** node:crypto's memory ceiling; defaults to twice what the parameters need. */
  maxmem?: number;
}

/** OWASP's scrypt recommendation: N=2^17, r=8, p=1 (128 MiB, about 0.3 s on one core). */
export const PRODUCTION_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1, keyLength: 32 };

export interface PasswordHasher {
  /** A self-describing record string for the normalised password. */
  hash(normalizedPassword: string): Promise<string>;
  verify(
    normalizedPassword: string,
    record: string,
  ): Promise<{ ok: boolean; needsRehash: boolean }>;
  /** Spends the same time as a real verify, for unknown usernames. */
  verifyDummy(normalizedPassword: string): Promise<void>;
}

export interface PasswordHasherDeps {
  pepper: Uint8Array;
  params: ScryptParams;
  random: RandomSource;
}

export function createPasswordHasher(deps: PasswordHasherDeps): PasswordHasher {
  void deps;
  throw new Error('createPasswordHasher: not implemented yet');
}
