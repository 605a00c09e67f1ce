/**
 * Bearer secrets the server hands out (session ids, pending-attempt ids, CSRF tokens): 32 bytes
 * from the approved random source, base64url. Only their SHA-256 is ever stored, so a read of
 * the database does not yield a usable session.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../random.js';

export const SECRET_TOKEN_BYTES = 32;

export function newSecretToken(random: RandomSource): string {
  const bytes = random.bytes(SECRET_TOKEN_BYTES);
  if (bytes.length !== SECRET_TOKEN_BYTES) throw new Error('random source gave too few bytes');
  return Buffer.from(bytes).toString('base64url');
}

/** SHA-256 of a token, hex: the form kept in the database. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True for the shape newSecretToken makes; anything else is rejected before a lookup. */
export function isWellFormedToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** Constant-time string equality (for CSRF tokens). */
export function tokensEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
