import { describe, expect, it } from 'vitest';
import type { RandomSource } from '../random.js';
import { systemRandom } from '../random.js';
import {
  generateRecoveryCodes,
  normalizeRecoveryCode,
  pickCodeNumber,
  RECOVERY_CODE_BITS,
} from './recovery-codes.js';

const counting = (): RandomSource => {
  let next = 0;
  return { bytes: (length) => Uint8Array.from({ length }, () => next++ & 0xff) };
};

describe('recovery codes (§5.1.2.1)', () => {
  it('are ten codes of 80 bits from the random source, in 4×4 base32', () => {
    const codes = generateRecoveryCodes(systemRandom);
    expect(RECOVERY_CODE_BITS).toBeGreaterThanOrEqual(64);
    expect(codes.map((c) => c.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const { code } of codes) expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    // Deterministic given the source: the codes come from it, not from Math.random.
    expect(generateRecoveryCodes(counting())).toEqual(generateRecoveryCodes(counting()));
  });

  it('accept forgiving input: case, spaces, hyphens, O→0, I/L→1', () => {
    expect(normalizeRecoveryCode(' 7g2k-m9qa x4tb-1c8d ')).toBe('7G2KM9QAX4TB1C8D');
    expect(normalizeRecoveryCode('OOOO-IIII-LLLL-0000')).toBe('0000111111110000');
    expect(normalizeRecoveryCode('too short')).toBeUndefined();
    expect(normalizeRecoveryCode('UUUU-UUUU-UUUU-UUUU')).toBeUndefined();
  });

  it('ask for a uniformly chosen unused number', () => {
    expect(pickCodeNumber([], systemRandom)).toBeUndefined();
    const seen = new Set<number>();
    for (let i = 0; i < 200; i += 1) seen.add(pickCodeNumber([2, 5, 9], systemRandom) ?? 0);
    expect([...seen].sort()).toEqual([2, 5, 9]);
  });
});
