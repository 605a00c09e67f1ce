/**
 * Sign-in: password, then the security key, the authenticator app or one numbered recovery
 * code (NIST SP 800-63B §4.2, §5.1.2.2, §5.2.2). A correct password alone leads only to the
 * second step, in a pending attempt that expires in minutes; a failed second factor ends the
 * attempt. Refusals never say whether the username exists, and a wrong CAPTCHA is answered
 * before the password is weighed.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { type AttemptRow, deleteAttempt, updateAttempt } from '../../db/attempt-store.js';
import { activeCredentials } from '../../db/credential-store.js';
import { unusedCodeNumbers } from '../../db/recovery-code-store.js';
import { logSecurityEvent } from '../../db/security-event-store.js';
import { activeTotp } from '../../db/totp-store.js';
import {
  findUserById,
  findUserByKey,
  markPasswordCompromised,
  resetUserFailures,
  setPasswordHash,
  type UserRow,
} from '../../db/user-store.js';
import {
  type AccountLocked,
  reserveTry,
  settleFailure,
  settleSuccess,
  type TryTicket,
} from '../account-failures.js';
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
import { type CaptchaRefusal, captchaRefusal, checkCaptcha } from '../captcha-check.js';
import { newAssertionOptions, verifyKey } from '../key-factor.js';
import { normalizePassword } from '../password-policy.js';
import { ACCOUNT_LOCKOUT_THRESHOLD, captchaRequired } from '../rate-limit.js';
import { useRecoveryCode } from '../recovery-code-factor.js';
import { pickCodeNumber } from '../recovery-codes.js';
import type { SessionKind } from '../session-policy.js';
import { type StartedSession, startSession } from '../sessions.js';
import { verifyTotpCode } from '../totp-factor.js';
import { usernameKey } from '../username.js';

export type SigninContext = Pick<
  AuthContexts,
  'store' | 'attempts' | 'failures' | 'passwords' | 'recoveryCodes' | 'keys' | 'totp' | 'sessions'
>;

type AttemptRefusal = AttemptGone | WrongStep;
type AssertionOptions = Awaited<ReturnType<typeof newAssertionOptions>>;

/** The one refusal of a wrong second factor (or a second step whose user is gone). */
export type SignInFailed = { kind: 'sign_in_failed' };

/** A signed-in user and the session just started for them. */
export type SignedIn = { kind: 'ok'; username: string; started: StartedSession };

export type PasswordStep =
  | {
      kind: 'ok';
      options: AssertionOptions;
      recoveryCodeNumber: number | null;
      factors: { key: boolean; totp: boolean };
    }
  | AttemptRefusal
  | CaptchaRefusal
  | AccountLocked
  /** Says whether the CAPTCHA is needed from the next try on (the same for unknown names). */
  | { kind: 'password_wrong'; captchaRequired: boolean };

/** The username and password, after the CAPTCHA when one is needed and the account's delay. */
export async function signInWithPassword(
  ctx: SigninContext,
  input: { attempt: string; username: string; password: string; captcha?: string | undefined },
  info: RequestInfo,
): Promise<PasswordStep> {
  const { db, clock } = ctx.store;
  const { failures, passwords } = ctx;
  const found = await findAttempt(ctx.store, input.attempt, 'signin', ['password']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const key = usernameKey(input.username);
  const user = await findUserByKey(db, key);
  const target = { user, usernameKey: key };
  // A given answer is compared (and used up) first; whether it was needed is decided on the
  // account's count under its lock, with the try reserved in the same step (§5.2.2).
  const captcha =
    input.captcha === undefined ? 'missing' : await checkCaptcha(ctx.store, attempt, input.captcha);
  const reservation = await reserveTry(failures, target, info.ip, { captcha, paced: true });
  if (reservation.kind === 'captcha') return captchaRefusal(reservation.verdict);
  if (reservation.kind === 'locked') return { kind: 'account_locked' };
  const { ticket } = reservation;
  // The growing delay, queued per account: a timer, so the event loop serves everyone else
  // meanwhile, and no database connection or lock is held while it runs.
  await failures.sleep(ticket.waitMs);
  const normalized = normalizePassword(input.password);
  const verdict = user
    ? await passwords.hasher.verify(normalized, user.passwordHash)
    : await passwords.hasher
        .verifyDummy(normalized)
        .then(() => ({ ok: false, needsRehash: false }));
  if (!user || !verdict.ok) {
    await settleFailure(failures, ticket, info, 'password');
    // Tells the page to show the CAPTCHA now if this failure made it required, so the next
    // try is not wasted on a refusal (the same for known and unknown names).
    const next = captchaRequired(ticket.failuresBefore + 1, failures.ipFailures.count(info.ip));
    return { kind: 'password_wrong', captchaRequired: next };
  }
  await settleSuccess(failures, ticket);
  if (verdict.needsRehash) {
    await setPasswordHash(db, user.id, await passwords.hasher.hash(normalized));
  }
  if (user.passwordCompromisedAt === null && passwords.breachCorpus.has(normalized)) {
    // Evidence of compromise (§5.1.1.2): after the second factor, only a change is allowed.
    await markPasswordCompromised(db, user.id, clock.now());
    await logSecurityEvent(db, {
      userId: user.id,
      type: 'password_compromised',
      detail: 'found in the breach corpus',
      now: clock.now(),
      ...info,
    });
  }
  const recoveryCodeNumber =
    pickCodeNumber(await unusedCodeNumbers(db, user.id), ctx.recoveryCodes.random) ?? null;
  await updateAttempt(db, attempt.idHash, { step: 'second', userId: user.id, recoveryCodeNumber });
  const [keys, totp] = await Promise.all([activeCredentials(db, user.id), activeTotp(db, user.id)]);
  return {
    kind: 'ok',
    options: await newAssertionOptions(ctx.keys, attempt.idHash, user.id),
    recoveryCodeNumber,
    factors: { key: keys.length > 0, totp: totp !== undefined },
  };
}

/** Fresh WebAuthn options for the second step (the previous challenge was used or expired). */
export async function renewAssertionOptions(
  ctx: SigninContext,
  input: { attempt: string },
): Promise<{ kind: 'ok'; options: AssertionOptions } | AttemptRefusal> {
  const found = await findAttempt(ctx.store, input.attempt, 'signin', ['second']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  return {
    kind: 'ok',
    options: await newAssertionOptions(ctx.keys, attempt.idHash, attempt.userId ?? 0),
  };
}

type SecondStepRefusal = AttemptRefusal | SignInFailed | AccountLocked;

/** The second step's attempt and its user, who must still exist and not be locked. */
async function secondStepUser(
  ctx: SigninContext,
  token: string,
): Promise<{ kind: 'user'; attempt: AttemptRow; user: UserRow } | SecondStepRefusal> {
  const found = await findAttempt(ctx.store, token, 'signin', ['second']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const user =
    attempt.userId === null ? undefined : await findUserById(ctx.store.db, attempt.userId);
  if (!user) return { kind: 'sign_in_failed' };
  if (user.lockedAt !== null) return { kind: 'account_locked' };
  return { kind: 'user', attempt, user };
}

/**
 * One second-factor try per attempt, even under parallel requests: the attempt is used up
 * before the factor is weighed, so a failure sends the user back to the password and two
 * requests on one attempt cannot both guess (nor can a loser undo the winner's sign-in). The
 * try is reserved like a password try (not delayed: each one already needed a password step),
 * so parallel second steps cannot take the count past the lock either.
 */
async function takeSecondFactorTry(
  ctx: SigninContext,
  attempt: AttemptRow,
  user: UserRow,
  info: RequestInfo,
): Promise<{ kind: 'try'; ticket: TryTicket } | AttemptGone | AccountLocked> {
  if (!(await deleteAttempt(ctx.store.db, attempt.idHash))) return { kind: 'attempt_expired' };
  const reservation = await reserveTry(
    ctx.failures,
    { user, usernameKey: user.usernameKey },
    info.ip,
    { captcha: 'not_asked', paced: false },
  );
  if (reservation.kind !== 'reserved') return { kind: 'account_locked' };
  return { kind: 'try', ticket: reservation.ticket };
}

/** The second step's user and its one try of a factor that needs no challenge first. */
async function openSecondFactor(
  ctx: SigninContext,
  token: string,
  info: RequestInfo,
): Promise<
  { kind: 'open'; attempt: AttemptRow; user: UserRow; ticket: TryTicket } | SecondStepRefusal
> {
  const step = await secondStepUser(ctx, token);
  if (step.kind !== 'user') return step;
  const taken = await takeSecondFactorTry(ctx, step.attempt, step.user, info);
  if (taken.kind !== 'try') return taken;
  return { kind: 'open', attempt: step.attempt, user: step.user, ticket: taken.ticket };
}

/** A full sign-in: the failures reset, this IP's too, the session started and logged. */
async function succeed(
  ctx: SigninContext,
  user: UserRow,
  info: RequestInfo,
  factor: string,
  kindOf: () => Promise<SessionKind>,
): Promise<SignedIn> {
  const { db, clock } = ctx.store;
  await resetUserFailures(db, user.id);
  // §5.2.2: after a success, forget this IP's earlier failures (this IP's only).
  ctx.failures.ipFailures.forget(info.ip);
  await logSecurityEvent(db, {
    userId: user.id,
    type: factor.startsWith('recovery') ? 'sign_in_with_recovery_code' : 'sign_in',
    detail: `password + ${factor}`,
    now: clock.now(),
    ...info,
  });
  const kind = await kindOf();
  const started = await startSession(ctx.sessions, { userId: user.id, kind, ...info });
  return { kind: 'ok', username: user.username, started };
}

/** A compromised password (known before, or found at this sign-in) allows only a change. */
async function kindAfterFactor(ctx: SigninContext, user: UserRow): Promise<SessionKind> {
  if (user.passwordCompromisedAt !== null) return 'password_change';
  const now = await findUserById(ctx.store.db, user.id);
  return now?.passwordCompromisedAt != null ? 'password_change' : 'full';
}

export async function signInWithKey(
  ctx: SigninContext,
  input: { attempt: string; response: AuthenticationResponseJSON },
  info: RequestInfo,
): Promise<SignedIn | SecondStepRefusal | ChallengeRefusal> {
  const step = await secondStepUser(ctx, input.attempt);
  if (step.kind !== 'user') return step;
  const { attempt, user } = step;
  const challenge = await useChallenge(ctx.store, attempt);
  if (challenge.kind !== 'challenge') return challenge;
  const taken = await takeSecondFactorTry(ctx, attempt, user, info);
  if (taken.kind !== 'try') return taken;
  const { ticket } = taken;
  if (!(await verifyKey(ctx.keys, user.id, input.response, challenge.challenge))) {
    await settleFailure(ctx.failures, ticket, info, 'security key');
    return { kind: 'sign_in_failed' };
  }
  return succeed(ctx, user, info, 'security key', () => kindAfterFactor(ctx, user));
}

export async function signInWithApp(
  ctx: SigninContext,
  input: { attempt: string; code: string },
  info: RequestInfo,
): Promise<SignedIn | SecondStepRefusal> {
  const open = await openSecondFactor(ctx, input.attempt, info);
  if (open.kind !== 'open') return open;
  const { user, ticket } = open;
  if (!(await verifyTotpCode(ctx.totp, user.id, input.code))) {
    await settleFailure(ctx.failures, ticket, info, 'authenticator app');
    return { kind: 'sign_in_failed' };
  }
  return succeed(ctx, user, info, 'authenticator app', () => kindAfterFactor(ctx, user));
}

/** How many mistyped recovery codes one password step allows before it must be typed again. */
const RECOVERY_CODE_RETRIES = 3;

/** A mistyped code: the code step again, with a new attempt asking for another numbered code. */
export type RecoveryCodeWrong = {
  kind: 'recovery_code_wrong';
  attempt: string;
  recoveryCodeNumber: number;
};

/** Code #n of the list: a rebind session (a new factor first, then new codes). */
export async function signInWithRecoveryCode(
  ctx: SigninContext,
  input: { attempt: string; code: string },
  info: RequestInfo,
): Promise<SignedIn | SecondStepRefusal | RecoveryCodeWrong> {
  const open = await openSecondFactor(ctx, input.attempt, info);
  if (open.kind !== 'open') return open;
  const { attempt, user, ticket } = open;
  const number = attempt.recoveryCodeNumber;
  const ok =
    number !== null && (await useRecoveryCode(ctx.recoveryCodes, user.id, number, input.code));
  if (!ok) {
    await settleFailure(ctx.failures, ticket, info, `recovery code #${number}`);
    return recoveryCodeRetry(ctx, info, attempt, user.id, ticket.failuresBefore + 1);
  }
  await logSecurityEvent(ctx.store.db, {
    userId: user.id,
    type: 'recovery_code_used',
    detail: `code #${number}`,
    now: ctx.store.clock.now(),
    ...info,
  });
  return succeed(ctx, user, info, `recovery code #${number}`, async () => 'rebind');
}

/**
 * After a mistyped recovery code (already counted as a failure), the user stays on the code
 * step with a new attempt asking for a newly picked code, up to RECOVERY_CODE_RETRIES times per
 * password step and while the account is not locked; otherwise the sign-in fails.
 */
async function recoveryCodeRetry(
  ctx: SigninContext,
  info: RequestInfo,
  attempt: AttemptRow,
  userId: number,
  failures: number,
): Promise<RecoveryCodeWrong | SignInFailed> {
  const retries = (JSON.parse(attempt.pendingData ?? '{}') as { codeRetries?: number }).codeRetries;
  const used = retries ?? 0;
  const numbers = await unusedCodeNumbers(ctx.store.db, userId);
  const others = numbers.filter((n) => n !== attempt.recoveryCodeNumber);
  const random = ctx.recoveryCodes.random;
  const recoveryCodeNumber = pickCodeNumber(others.length > 0 ? others : numbers, random);
  if (
    used >= RECOVERY_CODE_RETRIES ||
    failures >= ACCOUNT_LOCKOUT_THRESHOLD ||
    !recoveryCodeNumber
  ) {
    return { kind: 'sign_in_failed' };
  }
  const next = await beginAttempt(ctx.attempts, info, 'signin', {
    step: 'second',
    userId,
    recoveryCodeNumber,
    pendingData: JSON.stringify({ codeRetries: used + 1 }),
  });
  return { kind: 'recovery_code_wrong', attempt: next.token, recoveryCodeNumber };
}
