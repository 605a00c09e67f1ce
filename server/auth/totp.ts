/**
 * Authenticator-app codes (TOTP, RFC 6238; NIST SP 800-63B §5.1.4), through `otpauth`: the
 * defaults every app accepts (HMAC-SHA-1, 6 digits, 30 s steps) and a 160-bit secret from the
 * random source. Pure given the time: the caller passes the clock's instant and keeps the last
 * accepted step, so each step is accepted once per account (§5.1.4.2).
 */
import { Secret, TOTP } from 'otpauth';
import type { RandomSource } from '../random.js';

export const TOTP_SECRET_BYTES = 20;
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** At most one step of clock drift either way. */
export const TOTP_DRIFT_STEPS = 1;

export function newTotpSecret(random: RandomSource): Uint8Array {
  return random.bytes(TOTP_SECRET_BYTES);
}

function totpFor(secret: Uint8Array, label = 'Parley', issuer = 'Parley'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
  });
}

/** What the enrolling page shows once: the base32 secret and the otpauth:// URI of the QR. */
export function totpEnrolment(
  secret: Uint8Array,
  username: string,
  issuer: string,
): { secret: string; uri: string } {
  const totp = totpFor(secret, username, issuer);
  return { secret: totp.secret.base32, uri: totp.toString() };
}

/** The time step of an instant (ms). */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The step a code belongs to, within one step of now, or null. Only 6 ASCII digits are a code
 * (spaces are forgiven). The caller accepts the step only when it is later than the last one.
 */
export function matchTotpStep(secret: Uint8Array, input: string, nowMs: number): number | null {
  const token = input.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpFor(secret).validate({ token, timestamp: nowMs, window: TOTP_DRIFT_STEPS });
  return delta === null ? null : totpStep(nowMs) + delta;
}
