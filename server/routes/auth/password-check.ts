/** Weighing passwords: a new one under the policy, a signed-in user's current one as at sign-in. */

import { reserveTry, settleFailure, settleSuccess } from '../../auth/account-failures.js';
import type { AuthRuntime } from '../../auth/auth-runtime.js';
import { checkPassword, normalizePassword } from '../../auth/password-policy.js';
import type { UserRow } from '../../db/user-store.js';
import { HttpError } from '../../http/errors.js';
import type { RequestInfo } from './attempts.js';

/**
 * A new password under the policy (§5.1.1.2): the offline blocklist always, the online breach
 * check when turned on (its failure falls back to the offline answer). 400 with the reason.
 */
export async function acceptNewPassword(
  rt: AuthRuntime,
  password: string,
  username: string,
): Promise<string> {
  const verdict = checkPassword(
    password,
    { username, contextWords: rt.contextWords },
    rt.breachCorpus,
  );
  if (!verdict.ok) {
    throw new HttpError(400, 'weak_password', verdict.message, { reason: verdict.code });
  }
  if (rt.pwnedPasswords && (await rt.pwnedPasswords.check(verdict.normalized)) === 'breached') {
    throw new HttpError(
      400,
      'weak_password',
      'This password appears in known data breaches, so attackers try it early. Choose another one.',
      { reason: 'breached' },
    );
  }
  return verdict.normalized;
}

export const ACCOUNT_LOCKED_MESSAGE =
  'This account is locked after too many failed attempts. Unlock it with your security key and a recovery code.';

/**
 * A signed-in user's password, weighed as at sign-in (§5.2.2): after the account's growing
 * delay, refused while the account is locked, and a wrong one counted as a failed factor.
 * For the reauthentication and the password change, so neither is a cheaper guessing route.
 */
export async function checkCurrentPassword(
  rt: AuthRuntime,
  user: UserRow,
  password: string,
  info: RequestInfo,
  failure: { factor: string; message: string },
): Promise<void> {
  const reservation = await reserveTry(rt, { user, usernameKey: user.usernameKey }, info.ip, {
    captcha: 'not_asked',
    paced: true,
  });
  if (reservation.kind !== 'reserved') {
    throw new HttpError(423, 'account_locked', ACCOUNT_LOCKED_MESSAGE);
  }
  await rt.sleep(reservation.ticket.waitMs);
  const verdict = await rt.passwordHasher.verify(normalizePassword(password), user.passwordHash);
  if (!verdict.ok) {
    await settleFailure(rt, reservation.ticket, info, failure.factor);
    throw new HttpError(401, 'reauth_failed', failure.message);
  }
  await settleSuccess(rt, reservation.ticket);
}
