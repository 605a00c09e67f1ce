/**
 * The authenticator app as a second factor (NIST SP 800-63B §5.1.4): enrolment (a new sealed
 * secret, shown once, bound only after a code proves the app holds it) and verification (one
 * step at most once per account, at most one step of drift). Returns values; the routes turn
 * them into HTTP.
 */
import { acceptTotpStep, activeTotp } from '../db/totp-store.js';
import type { TotpContext } from './auth-contexts.js';
import { matchTotpStep, newTotpSecret, totpEnrolment } from './totp.js';

export interface TotpEnrolment {
  /** Kept on the pending attempt: the secret, sealed. */
  sealed: string;
  /** Shown once to the user: the base32 secret and the otpauth:// URI for the QR code. */
  secret: string;
  uri: string;
}

export function beginTotpEnrolment(totp: TotpContext, username: string): TotpEnrolment {
  const secret = newTotpSecret(totp.random);
  const shown = totpEnrolment(secret, username, totp.issuer);
  return { sealed: totp.sealer.seal(secret), ...shown };
}

export type TotpConfirmation = { ok: true; step: number } | { ok: false };

/** The enrolling app's first code: its step becomes the last accepted one. */
export function confirmTotpEnrolment(
  totp: TotpContext,
  sealed: string,
  code: string,
): TotpConfirmation {
  const step = matchTotpStep(totp.sealer.open(sealed), code, totp.clock.now().getTime());
  return step === null ? { ok: false } : { ok: true, step };
}

/** A sign-in code: right, within one step, and of a step later than the last accepted one. */
export async function verifyTotpCode(
  totp: TotpContext,
  userId: number,
  code: string,
): Promise<boolean> {
  const row = await activeTotp(totp.db, userId);
  if (!row) return false;
  const now = totp.clock.now();
  let secret: Uint8Array;
  try {
    secret = totp.sealer.open(row.secretSealed);
  } catch {
    // Sealed under another key (TOTP_KEY_FILE replaced): the operator's problem, not a 500.
    totp.logger.error('an authenticator-app secret does not open under TOTP_KEY_FILE', { userId });
    return false;
  }
  const step = matchTotpStep(secret, code, now.getTime());
  if (step === null) return false;
  return acceptTotpStep(totp.db, row.id, step, now);
}
