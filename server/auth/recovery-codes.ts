/**
 * Recovery codes (look-up secrets, NIST SP 800-63B §5.1.2): ten codes of 80 bits each from the
 * approved random source, written in Crockford's base32 as four groups of four characters.
 * Input is forgiving: case, spaces, hyphens and the look-alikes O/I/L are accepted. Pure.
 */
import type { RandomSource } from '../random.js';

export const RECOVERY_CODE_COUNT = 10;
export const RECOVERY_CODE_BITS = 80;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = RECOVERY_CODE_BITS / 5;

export interface IssuedRecoveryCode {
  /** 1..10: sign-in asks for one specific number. */
  number: number;
  /** As shown to the user, e.g. "7G2K-M9QA-X4TB-1C8D". */
  code: string;
}

/** Ten fresh codes, numbered 1..10. */
export function generateRecoveryCodes(random: RandomSource): IssuedRecoveryCode[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, (_, index) => ({
    number: index + 1,
    code: formatRecoveryCode(encodeBase32(random.bytes(RECOVERY_CODE_BITS / 8))),
  }));
}

function encodeBase32(bytes: Uint8Array): string {
  if (bytes.length * 8 !== RECOVERY_CODE_BITS) throw new Error('random source gave too few bytes');
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

function formatRecoveryCode(chars: string): string {
  return chars.match(/.{4}/g)?.join('-') ?? chars;
}

/**
 * The canonical form of what a user typed (the form that is hashed), or undefined when it
 * cannot be a code at all.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  const canonical = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (canonical.length !== CODE_CHARS) return undefined;
  for (const char of canonical) if (!ALPHABET.includes(char)) return undefined;
  return canonical;
}

/** Picks which code to ask for: a uniformly random one among those not yet used. */
export function pickCodeNumber(
  unused: readonly number[],
  random: RandomSource,
): number | undefined {
  if (unused.length === 0) return undefined;
  // Rejection sampling over one byte keeps the choice unbiased.
  const limit = 256 - (256 % unused.length);
  for (;;) {
    const byte = random.bytes(1)[0] ?? 0;
    if (byte < limit) return unused[byte % unused.length];
  }
}
