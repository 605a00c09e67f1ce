/** The password checks of server/auth/password-check.ts, with their refusals as HTTP. */
import type { RequestInfo } from '../../auth/attempts.js';
import type { FailureCounts, PasswordContext } from '../../auth/auth-contexts.js';
import { acceptNewPassword, checkCurrentPassword } from '../../auth/password-check.js';
import type { UserRow } from '../../db/user-store.js';
import { HttpError } from '../../http/errors.js';
import { refusalError } from './refusals.js';

/** A new password under the policy, normalized; 400 weak_password with the reason otherwise. */
export async function requireNewPassword(
  passwords: PasswordContext,
  password: string,
  username: string,
): Promise<string> {
  const verdict = await acceptNewPassword(passwords, password, username);
  if (verdict.kind !== 'accepted') throw refusalError(verdict);
  return verdict.normalized;
}

/** A signed-in user's current password: 423 while locked, 401 reauth_failed when wrong. */
export async function requireCurrentPassword(
  ctx: { failures: FailureCounts; passwords: PasswordContext },
  user: UserRow,
  password: string,
  info: RequestInfo,
  failure: { factor: string; message: string },
): Promise<void> {
  const verdict = await checkCurrentPassword(ctx, user, password, info, failure.factor);
  if (verdict === 'account_locked') throw refusalError({ kind: 'account_locked' });
  if (verdict === 'wrong') throw new HttpError(401, 'reauth_failed', failure.message);
}
