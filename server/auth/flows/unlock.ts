/**
 * Unlocking an account locked after 100 failures (NIST SP 800-63B §5.2.2): the password, one
 * unused recovery code and the security key, so an online guesser (who holds none of the
 * second two) learns nothing. It clears the failure count and is logged; it does not sign in.
 *
 * The proof step refuses an unknown username, an account that is not locked, a wrong password
 * and a wrong code alike (`unlock_failed`), after the same work (a password hash and one code
 * hash per code slot): neither the lock state nor the key's credential ids reach anyone who has
 * not proved the password and a code. As the code alone carries 80 random bits, the refusal is
 * no oracle for the password either, so these tries need not count toward the lock (which they
 * could not deepen anyway); they count for the client IP and are logged. Any unused code is
 * accepted here (not a numbered one, §5.1.2.2): asking for a number before the password and
 * code are proven would tell which codes are left, hence that the account exists and its state.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { deleteAttempt } from '../../db/attempt-store.js';
import { consumeCode, findUnusedCode } from '../../db/recovery-code-store.js';
import { logSecurityEvent } from '../../db/security-event-store.js';
import { findUserById, findUserByKey, unlockUser } from '../../db/user-store.js';
import {
  type AttemptGone,
  beginAttempt,
  type ChallengeRefusal,
  findAttempt,
  type RequestInfo,
  useChallenge,
  type WrongStep,
} from '../attempts.js';
import type { AuthContexts } from '../auth-contexts.js';
import { newAssertionOptions, verifyKey } from '../key-factor.js';
import { normalizePassword } from '../password-policy.js';
import { matchUnusedCode } from '../recovery-code-factor.js';
import { hashToken } from '../secret-token.js';
import { usernameKey } from '../username.js';

export type UnlockContext = Pick<
  AuthContexts,
  'store' | 'logger' | 'attempts' | 'failures' | 'passwords' | 'recoveryCodes' | 'keys'
>;

/** The one refusal of a wrong username, password, code or key, or an account not locked. */
export type UnlockFailed = { kind: 'unlock_failed' };

export type UnlockProof =
  | {
      kind: 'ok';
      /** The new attempt, for the key step; it carries the matched code's number. */
      attempt: string;
      options: Awaited<ReturnType<typeof newAssertionOptions>>;
    }
  | AttemptGone
  | WrongStep
  | UnlockFailed;

/** The password and an unused recovery code of a locked account: then the key is asked. */
export async function proveForUnlock(
  ctx: UnlockContext,
  input: { attempt: string; username: string; password: string; code: string },
  info: RequestInfo,
): Promise<UnlockProof> {
  const { db, clock } = ctx.store;
  const found = await findAttempt(ctx.store, input.attempt, 'unlock', ['username']);
  if (found.kind !== 'found') return found;
  // One try per attempt, whatever the outcome.
  if (!(await deleteAttempt(db, found.attempt.idHash))) return { kind: 'attempt_expired' };
  const user = await findUserByKey(db, usernameKey(input.username));
  const normalized = normalizePassword(input.password);
  const hasher = ctx.passwords.hasher;
  const passwordOk = user
    ? (await hasher.verify(normalized, user.passwordHash)).ok
    : await hasher.verifyDummy(normalized).then(() => false);
  const codeNumber = await matchUnusedCode(ctx.recoveryCodes, user?.id, input.code);
  if (!user || user.lockedAt === null || !passwordOk || codeNumber === null) {
    ctx.failures.ipFailures.add(info.ip);
    if (user) {
      await logSecurityEvent(db, {
        userId: user.id,
        type: 'unlock_failed',
        detail: user.lockedAt === null ? 'not locked' : 'password or recovery code',
        now: clock.now(),
        ...info,
      });
    }
    return { kind: 'unlock_failed' };
  }
  // Proven: a new attempt for the key, which carries the matched code's number.
  const next = await beginAttempt(ctx.attempts, info, 'unlock', {
    step: 'proof',
    userId: user.id,
    recoveryCodeNumber: codeNumber,
  });
  const options = await newAssertionOptions(ctx.keys, hashToken(next.token), user.id);
  return { kind: 'ok', attempt: next.token, options };
}

export type UnlockFinish =
  | { kind: 'ok' }
  | AttemptGone
  | WrongStep
  | ChallengeRefusal
  | UnlockFailed;

/** The security key's answer: the code is used up, the account unlocked and the unlock logged. */
export async function finishUnlock(
  ctx: UnlockContext,
  input: { attempt: string; response: AuthenticationResponseJSON },
  info: RequestInfo,
): Promise<UnlockFinish> {
  const { db, clock } = ctx.store;
  const found = await findAttempt(ctx.store, input.attempt, 'unlock', ['proof']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const user = attempt.userId === null ? undefined : await findUserById(db, attempt.userId);
  if (!user) return { kind: 'unlock_failed' };
  const challenge = await useChallenge(ctx.store, attempt);
  if (challenge.kind !== 'challenge') return challenge;
  // One try per attempt.
  await deleteAttempt(db, attempt.idHash);
  const keyOk = await verifyKey(ctx.keys, user.id, input.response, challenge.challenge);
  const number = attempt.recoveryCodeNumber;
  // The code is only used up when the key was right too (and only once, if raced).
  const code = keyOk && number !== null ? await findUnusedCode(db, user.id, number) : undefined;
  const codeOk = code !== undefined && (await consumeCode(db, code.id, clock.now()));
  const now = clock.now();
  if (!keyOk || !codeOk) {
    ctx.failures.ipFailures.add(info.ip);
    await logSecurityEvent(db, { userId: user.id, type: 'unlock_failed', now, ...info });
    return { kind: 'unlock_failed' };
  }
  await unlockUser(db, user.id);
  await logSecurityEvent(db, {
    userId: user.id,
    type: 'recovery_code_used',
    detail: `code #${number} (unlock)`,
    now,
    ...info,
  });
  await logSecurityEvent(db, { userId: user.id, type: 'account_unlocked', now, ...info });
  ctx.logger.warn('account unlocked', { userId: user.id });
  return { kind: 'ok' };
}
