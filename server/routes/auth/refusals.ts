/**
 * The refusals the sign-in flows share (server/auth/ returns them as tagged values), as HTTP:
 * each kind's status, stable code and message. A flow's own refusals are mapped in its route.
 */
import type { AccountLocked } from '../../auth/account-failures.js';
import type { AttemptGone, ChallengeRefusal, WrongStep } from '../../auth/attempts.js';
import type { CaptchaRefusal } from '../../auth/captcha-check.js';
import type { NewKeyRefusal } from '../../auth/key-factor.js';
import type { WeakPassword } from '../../auth/password-check.js';
import { HttpError } from '../../http/errors.js';

export type SharedRefusal =
  | AttemptGone
  | WrongStep
  | ChallengeRefusal
  | CaptchaRefusal
  | NewKeyRefusal
  | WeakPassword
  | AccountLocked;

export const ATTEMPT_GONE_MESSAGE =
  'This attempt expired or was already used. Start again from the beginning.';

export const ACCOUNT_LOCKED_MESSAGE =
  'This account is locked after too many failed attempts. Unlock it with your security key and a recovery code.';

export function refusalError(refusal: SharedRefusal): HttpError {
  switch (refusal.kind) {
    case 'attempt_expired':
      return new HttpError(401, 'attempt_expired', ATTEMPT_GONE_MESSAGE);
    case 'wrong_step':
      return new HttpError(409, 'wrong_step');
    case 'challenge_used':
      return new HttpError(
        400,
        'challenge_used',
        'Ask the key again: the previous request was used up.',
      );
    case 'challenge_expired':
      return new HttpError(400, 'challenge_expired');
    case 'captcha_wrong':
      return new HttpError(400, 'captcha_wrong');
    case 'captcha_expired':
      return new HttpError(400, 'captcha_expired');
    case 'captcha_required':
      return new HttpError(400, 'captcha_required');
    case 'key_rejected':
      return new HttpError(400, 'key_rejected');
    case 'synced_key_refused':
      return new HttpError(400, 'synced_key_refused');
    case 'key_already_registered':
      return new HttpError(
        409,
        'key_already_registered',
        'This security key is already registered to an account. Use another key.',
      );
    case 'weak_password':
      return new HttpError(400, 'weak_password', refusal.message, { reason: refusal.reason });
    case 'account_locked':
      return new HttpError(423, 'account_locked', ACCOUNT_LOCKED_MESSAGE);
  }
}

/** An enrolling app's code that does not match: the same QR code stays; try the next code. */
export function totpEnrolmentError(): HttpError {
  return new HttpError(400, 'totp_wrong');
}
