/** Weighing passwords: a new one under the policy, a signed-in user's current one as at sign-in. */

import type { UserRow } from '../db/user-store.js';
import { reserveTry, settleFailure, settleSuccess } from './account-failures.js';
import type { RequestInfo } from './attempts.js';
import type { FailureCounts, PasswordContext } from './auth-contexts.js';
import { checkPassword, normalizePassword } from './password-policy.js';

/** A new password the policy refuses, with the policy's message and reason. */
export type WeakPassword = { kind: 'weak_password'; message: string; reason: string };

/**
 * A new password under the policy (§5.1.1.2): the offline blocklist always, the online breach
 * check when turned on (its failure falls back to the offline answer). The normalized password
 * when accepted.
 */
export async function acceptNewPassword(
  passwords: PasswordContext,
  password: string,
  username: string,
): Promise<{ kind: 'accepted'; normalized: string } | WeakPassword> {
  const verdict = checkPassword(
    password,
    { username, contextWords: passwords.contextWords },
    passwords.breachCorpus,
  );
  if (!verdict.ok) return { kind: 'weak_password', message: verdict.message, reason: verdict.code };
  if (
    passwords.pwnedPasswords &&
    (await passwords.pwnedPasswords.check(verdict.normalized)) === 'breached'
  ) {
    return {
      kind: 'weak_password',
      message:
        'This password appears in known data breaches, so attackers try it early. Choose another one.',
      reason: 'breached',
    };
  }
  return { kind: 'accepted', normalized: verdict.normalized };
}

/**
 * A signed-in user's password, weighed as at sign-in (§5.2.2): after the account's growing
 * delay, refused while the account is locked, and a wrong one counted as a failed factor
 * (named `factor` in the security log). For the reauthentication and the password change, so
 * neither is a cheaper guessing route.
 */
export async function checkCurrentPassword(
  ctx: { failures: FailureCounts; passwords: PasswordContext },
  user: UserRow,
  password: string,
  info: RequestInfo,
  factor: string,
): Promise<'ok' | 'account_locked' | 'wrong'> {
  const { failures, passwords } = ctx;
  const reservation = await reserveTry(failures, { user, usernameKey: user.usernameKey }, info.ip, {
    captcha: 'not_asked',
    paced: true,
  });
  if (reservation.kind !== 'reserved') return 'account_locked';
  await failures.sleep(reservation.ticket.waitMs);
  const verdict = await passwords.hasher.verify(normalizePassword(password), user.passwordHash);
  if (!verdict.ok) {
    await settleFailure(failures, reservation.ticket, info, factor);
    return 'wrong';
  }
  await settleSuccess(failures, reservation.ticket);
  return 'ok';
}
