/**
 * The authenticator app as a second factor (NIST SP 800-63B §5.1.4): enrolment (a new sealed
 * secret, shown once, bound only after a code proves the app holds it) and verification (one
 * step at most once per account, at most one step of drift). Returns values; the routes turn
 * them into HTTP.
 */
import { acceptTotpStep, activeTotp } from '../db/totp-store.js';
import type { AuthRuntime } from './auth-runtime.js';
import { matchTotpStep, newTotpSecret, totpEnrolment } from './totp.js';

export interface TotpEnrolment {
  /** Kept on the pending attempt: the secret, sealed. */
  sealed: string;
  /** Shown once to the user: the base32 secret and the otpauth:// URI for the QR code. */
  secret: string;
  uri: string;
}

export function beginTotpEnrolment(rt: AuthRuntime, username: string): TotpEnrolment {
  const secret = newTotpSecret(rt.random);
  const shown = totpEnrolment(secret, username, `Parley (${rt.rp.id})`);
  return { sealed: rt.totpSealer.seal(secret), ...shown };
}

export type TotpConfirmation = { ok: true; step: number } | { ok: false };

/** The enrolling app's first code: its step becomes the last accepted one. */
export function confirmTotpEnrolment(
  rt: AuthRuntime,
  sealed: string,
  code: string,
): TotpConfirmation {
  const step = matchTotpStep(rt.totpSealer.open(sealed), code, rt.clock.now().getTime());
  return step === null ? { ok: false } : { ok: true, step };
}

/** A sign-in code: right, within one step, and of a step later than the last accepted one. */
export async function verifyTotpCode(
  rt: AuthRuntime,
  userId: number,
  code: string,
): Promise<boolean> {
  const row = await activeTotp(rt.db, userId);
  if (!row) return false;
  const now = rt.clock.now();
  let secret: Uint8Array;
  try {
    secret = rt.totpSealer.open(row.secretSealed);
  } catch {
    // Sealed under another key (TOTP_KEY_FILE replaced): the operator's problem, not a 500.
    rt.logger.error('an authenticator-app secret does not open under TOTP_KEY_FILE', { userId });
    return false;
  }
  const step = matchTotpStep(secret, code, now.getTime());
  if (step === null) return false;
  return acceptTotpStep(rt.db, row.id, step, now);
}
