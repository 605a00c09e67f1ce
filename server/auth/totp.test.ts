import { describe, expect, it } from 'vitest';
import { systemRandom } from '../random.js';
import { createSecretSealer } from './secret-sealer.js';
import {
  matchTotpStep,
  newTotpSecret,
  TOTP_SECRET_BYTES,
  totpEnrolment,
  totpStep,
} from './totp.js';

// RFC 6238 appendix B (SHA-1 seed), last six digits of the eight-digit values.
const RFC_SECRET = new TextEncoder().encode('12345678901234567890');

describe('TOTP (RFC 6238, §5.1.4)', () => {
  it('matches the RFC 6238 test vectors, within one step of drift and no further', () => {
    for (const [seconds, code] of [
      [59, '287082'],
      [1111111109, '081804'],
      [1234567890, '005924'],
      [2000000000, '279037'],
    ] as const) {
      const ms = seconds * 1000;
      expect(matchTotpStep(RFC_SECRET, code, ms)).toBe(totpStep(ms));
      expect(matchTotpStep(RFC_SECRET, code, ms + 30_000)).toBe(totpStep(ms));
      expect(matchTotpStep(RFC_SECRET, code, ms - 30_000)).toBe(totpStep(ms));
      expect(matchTotpStep(RFC_SECRET, code, ms + 60_000)).toBeNull();
      expect(matchTotpStep(RFC_SECRET, code, ms - 60_000)).toBeNull();
    }
    expect(matchTotpStep(RFC_SECRET, ' 287 082 ', 59_000)).toBe(1);
    expect(matchTotpStep(RFC_SECRET, '28708', 59_000)).toBeNull();
    expect(matchTotpStep(RFC_SECRET, '２８７０８２', 59_000)).toBeNull();
  });

  it('a 160-bit secret from the random source, shown as base32 in an otpauth URI with the defaults', () => {
    const secret = newTotpSecret(systemRandom);
    expect(secret.length).toBe(TOTP_SECRET_BYTES);
    expect(TOTP_SECRET_BYTES * 8).toBe(160);
    const { secret: base32, uri } = totpEnrolment(secret, 'alice', 'Parley (example.org)');
    expect(base32).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(uri);
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });
});

describe('secret sealer (AES-256-GCM)', () => {
  it('round-trips, uses a fresh IV each time, and refuses a tampered value or another key', () => {
    const key = systemRandom.bytes(32);
    const sealer = createSecretSealer(key, systemRandom);
    const secret = systemRandom.bytes(20);
    const a = sealer.seal(secret);
    const b = sealer.seal(secret);
    expect(a).not.toBe(b);
    expect(Buffer.from(sealer.open(a))).toEqual(Buffer.from(secret));
    const parts = a.split('.');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[2] = body.toString('base64url');
    expect(() => sealer.open(parts.join('.'))).toThrow();
    expect(() => createSecretSealer(systemRandom.bytes(32), systemRandom).open(a)).toThrow();
    expect(() => createSecretSealer(key, systemRandom, 'another purpose').open(a)).toThrow();
    expect(() => createSecretSealer(systemRandom.bytes(16), systemRandom)).toThrow();
  });
});
