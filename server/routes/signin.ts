/**
 * Sign-in: password, then the security key or one numbered recovery code (NIST SP 800-63B
 * §4.2, §5.1.2.2, §5.2.2). A correct password alone leads only to the second step, in a pending
 * attempt that expires in minutes; a failed second factor ends the attempt. Errors never say
 * whether the username exists, and a wrong CAPTCHA is answered before the password is weighed.
 *
 *   POST /api/signin/start          → { attempt }
 *   POST /api/signin/password       { attempt, username, password, captcha? }
 *                                   → { options, recoveryCodeNumber, factors: { key, totp } }
 *   POST /api/signin/key/options    { attempt } → fresh WebAuthn options
 *   POST /api/signin/key            { attempt, response }     → session (full)
 *   POST /api/signin/totp           { attempt, code }         → session (full)
 *   POST /api/signin/recovery-code  { attempt, code }         → session (rebind: a new factor first)
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import {
  reserveTry,
  settleFailure,
  settleSuccess,
  type TryTicket,
} from '../auth/account-failures.js';
import { beginAttempt, type RequestInfo } from '../auth/attempts.js';
import type { AuthContexts } from '../auth/auth-contexts.js';
import { captchaRefusal, checkCaptcha } from '../auth/captcha-check.js';
import { newAssertionOptions, verifyKey } from '../auth/key-factor.js';
import { normalizePassword } from '../auth/password-policy.js';
import { ACCOUNT_LOCKOUT_THRESHOLD, captchaRequired } from '../auth/rate-limit.js';
import { normalizeRecoveryCode, pickCodeNumber } from '../auth/recovery-codes.js';
import { verifyTotpCode } from '../auth/totp-factor.js';
import { usernameKey } from '../auth/username.js';
import { type AttemptRow, deleteAttempt, updateAttempt } from '../db/attempt-store.js';
import { activeCredentials } from '../db/credential-store.js';
import { consumeCode, findUnusedCode, unusedCodeNumbers } from '../db/recovery-code-store.js';
import { logSecurityEvent } from '../db/security-event-store.js';
import { activeTotp } from '../db/totp-store.js';
import {
  findUserById,
  findUserByKey,
  markPasswordCompromised,
  resetUserFailures,
  setPasswordHash,
  type UserRow,
} from '../db/user-store.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { readJsonBody } from '../http/validation.js';
import {
  requestInfo,
  requireAttempt,
  requireChallenge,
  startAttemptHandler,
} from './auth/attempts.js';
import {
  asAuthenticationResponse,
  attemptBody,
  attemptTokenSchema,
  authenticationResponseSchema,
  credentialsBody,
  totpCodeSchema,
} from './auth/bodies.js';
import { ACCOUNT_LOCKED_MESSAGE, ATTEMPT_GONE_MESSAGE, refusalError } from './auth/refusals.js';
import { startSessionResponse } from './auth/session-response.js';

const keyBody = z
  .object({ attempt: attemptTokenSchema, response: authenticationResponseSchema })
  .strict();
const totpBody = z.object({ attempt: attemptTokenSchema, code: totpCodeSchema }).strict();
const codeBody = z.object({ attempt: attemptTokenSchema, code: z.string().max(64) }).strict();

export const SIGN_IN_FAILED_MESSAGE =
  'Sign-in failed: the username, password, security key or recovery code was not right. Try again.';

export function signinRoutes(ctx: AuthContexts) {
  const app = new Hono();

  app.post('/api/signin/start', startAttemptHandler(ctx.attempts, 'signin', { step: 'password' }));

  app.post('/api/signin/password', async (c) => {
    const body = await readJsonBody(c, credentialsBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signin', ['password']);
    const info = requestInfo(c);
    const key = usernameKey(body.username);
    const user = await findUserByKey(ctx.store.db, key);
    const target = { user, usernameKey: key };
    // A given answer is compared (and used up) first; whether it was needed is decided on the
    // account's count under its lock, with the try reserved in the same step (§5.2.2).
    const captcha =
      body.captcha === undefined ? 'missing' : await checkCaptcha(ctx.store, attempt, body.captcha);
    const reservation = await reserveTry(ctx.failures, target, info.ip, { captcha, paced: true });
    if (reservation.kind === 'captcha') throw refusalError(captchaRefusal(reservation.verdict));
    if (reservation.kind === 'locked') {
      throw new HttpError(423, 'account_locked', ACCOUNT_LOCKED_MESSAGE);
    }
    const { ticket } = reservation;
    // The growing delay, queued per account: a timer, so the event loop serves everyone else
    // meanwhile, and no database connection or lock is held while it runs.
    await ctx.failures.sleep(ticket.waitMs);
    const normalized = normalizePassword(body.password);
    const verdict = user
      ? await ctx.passwords.hasher.verify(normalized, user.passwordHash)
      : await ctx.passwords.hasher
          .verifyDummy(normalized)
          .then(() => ({ ok: false, needsRehash: false }));
    if (!user || !verdict.ok) {
      await settleFailure(ctx.failures, ticket, info, 'password');
      // Tells the page to show the CAPTCHA now if this failure made it required, so the next
      // try is not wasted on a refusal (the same for known and unknown names).
      const captchaNext = captchaRequired(
        ticket.failuresBefore + 1,
        ctx.failures.ipFailures.count(info.ip),
      );
      throw new HttpError(401, 'sign_in_failed', 'The username or password is not right.', {
        captchaRequired: captchaNext,
      });
    }
    await settleSuccess(ctx.failures, ticket);
    if (verdict.needsRehash) {
      await setPasswordHash(ctx.store.db, user.id, await ctx.passwords.hasher.hash(normalized));
    }
    if (user.passwordCompromisedAt === null && ctx.passwords.breachCorpus.has(normalized)) {
      // Evidence of compromise (§5.1.1.2): after the second factor, only a change is allowed.
      await markPasswordCompromised(ctx.store.db, user.id, ctx.store.clock.now());
      await logSecurityEvent(ctx.store.db, {
        userId: user.id,
        type: 'password_compromised',
        detail: 'found in the breach corpus',
        now: ctx.store.clock.now(),
        ...info,
      });
    }
    const recoveryCodeNumber =
      pickCodeNumber(await unusedCodeNumbers(ctx.store.db, user.id), ctx.recoveryCodes.random) ??
      null;
    await updateAttempt(ctx.store.db, attempt.idHash, {
      step: 'second',
      userId: user.id,
      recoveryCodeNumber,
    });
    const [keys, totp] = await Promise.all([
      activeCredentials(ctx.store.db, user.id),
      activeTotp(ctx.store.db, user.id),
    ]);
    noStore(c);
    return c.json({
      options: await newAssertionOptions(ctx.keys, attempt.idHash, user.id),
      recoveryCodeNumber,
      factors: { key: keys.length > 0, totp: totp !== undefined },
    });
  });

  app.post('/api/signin/key/options', async (c) => {
    const body = await readJsonBody(c, attemptBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signin', ['second']);
    return c.json({
      options: await newAssertionOptions(ctx.keys, attempt.idHash, attempt.userId ?? 0),
    });
  });

  app.post('/api/signin/key', async (c) => {
    const body = await readJsonBody(c, keyBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signin', ['second']);
    const info = requestInfo(c);
    const user = await secondStepUser(ctx, attempt);
    const expectedChallenge = await requireChallenge(ctx.store, attempt);
    await takeSecondFactorTry(ctx, attempt);
    const ticket = await reserveSecondFactor(ctx, user, info);
    const verified = await verifyKey(
      ctx.keys,
      user.id,
      asAuthenticationResponse(body.response),
      expectedChallenge,
    );
    if (!verified) return failSecondFactor(ctx, ticket, info, 'security key');
    await succeed(ctx, user, info, 'security key');
    const kind =
      user.passwordCompromisedAt !== null || (await compromisedNow(ctx, user.id))
        ? 'password_change'
        : 'full';
    const { body: session } = await startSessionResponse(ctx.sessions, c, user, kind);
    noStore(c);
    return c.json(session);
  });

  app.post('/api/signin/totp', async (c) => {
    const body = await readJsonBody(c, totpBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signin', ['second']);
    const info = requestInfo(c);
    const user = await secondStepUser(ctx, attempt);
    await takeSecondFactorTry(ctx, attempt);
    const ticket = await reserveSecondFactor(ctx, user, info);
    if (!(await verifyTotpCode(ctx.totp, user.id, body.code))) {
      return failSecondFactor(ctx, ticket, info, 'authenticator app');
    }
    await succeed(ctx, user, info, 'authenticator app');
    const kind =
      user.passwordCompromisedAt !== null || (await compromisedNow(ctx, user.id))
        ? 'password_change'
        : 'full';
    const { body: session } = await startSessionResponse(ctx.sessions, c, user, kind);
    noStore(c);
    return c.json(session);
  });

  app.post('/api/signin/recovery-code', async (c) => {
    const body = await readJsonBody(c, codeBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signin', ['second']);
    const info = requestInfo(c);
    const user = await secondStepUser(ctx, attempt);
    await takeSecondFactorTry(ctx, attempt);
    const ticket = await reserveSecondFactor(ctx, user, info);
    const number = attempt.recoveryCodeNumber;
    const ok = number !== null && (await useRecoveryCode(ctx, user.id, number, body.code));
    if (!ok) {
      await settleFailure(ctx.failures, ticket, info, `recovery code #${number}`);
      throw await recoveryCodeRetry(ctx, c, attempt, user.id, ticket.failuresBefore + 1);
    }
    await logSecurityEvent(ctx.store.db, {
      userId: user.id,
      type: 'recovery_code_used',
      detail: `code #${number}`,
      now: ctx.store.clock.now(),
      ...info,
    });
    await succeed(ctx, user, info, `recovery code #${number}`);
    const { body: session } = await startSessionResponse(ctx.sessions, c, user, 'rebind');
    noStore(c);
    return c.json(session);
  });

  return app;
}

async function compromisedNow(ctx: AuthContexts, userId: number): Promise<boolean> {
  return (await findUserById(ctx.store.db, userId))?.passwordCompromisedAt != null;
}

async function secondStepUser(ctx: AuthContexts, attempt: AttemptRow): Promise<UserRow> {
  const user =
    attempt.userId === null ? undefined : await findUserById(ctx.store.db, attempt.userId);
  if (!user) throw new HttpError(401, 'sign_in_failed', SIGN_IN_FAILED_MESSAGE);
  if (user.lockedAt !== null) throw new HttpError(423, 'account_locked', ACCOUNT_LOCKED_MESSAGE);
  return user;
}

/** Checks code #number (forgiving of case and separators) and uses it up, atomically. */
export async function useRecoveryCode(
  ctx: AuthContexts,
  userId: number,
  number: number,
  input: string,
): Promise<boolean> {
  const canonical = normalizeRecoveryCode(input);
  const row = await findUnusedCode(ctx.store.db, userId, number);
  if (!row || !canonical) {
    await ctx.recoveryCodes.hasher.verifyDummy(canonical ?? input);
    return false;
  }
  const verdict = await ctx.recoveryCodes.hasher.verify(canonical, row.codeHash);
  return verdict.ok && (await consumeCode(ctx.store.db, row.id, ctx.store.clock.now()));
}

/**
 * One second-factor try per attempt, even under parallel requests: the attempt is used up
 * before the factor is weighed, so a failure sends the user back to the password and two
 * requests on one attempt cannot both guess (nor can a loser undo the winner's sign-in).
 */
async function takeSecondFactorTry(ctx: AuthContexts, attempt: AttemptRow): Promise<void> {
  if (!(await deleteAttempt(ctx.store.db, attempt.idHash))) {
    throw new HttpError(401, 'attempt_expired', ATTEMPT_GONE_MESSAGE);
  }
}

/**
 * A second-factor try is reserved like a password try (not delayed: each one already needed a
 * password step), so parallel second steps cannot take the count past the lock either.
 */
export async function reserveSecondFactor(
  ctx: AuthContexts,
  user: UserRow,
  info: RequestInfo,
): Promise<TryTicket> {
  const reservation = await reserveTry(
    ctx.failures,
    { user, usernameKey: user.usernameKey },
    info.ip,
    {
      captcha: 'not_asked',
      paced: false,
    },
  );
  if (reservation.kind !== 'reserved') {
    throw new HttpError(423, 'account_locked', ACCOUNT_LOCKED_MESSAGE);
  }
  return reservation.ticket;
}

/** How many mistyped recovery codes one password step allows before it must be typed again. */
const RECOVERY_CODE_RETRIES = 3;

/**
 * A mistyped recovery code (already counted as a failure): the user stays on the code step with
 * a new attempt asking for a newly picked code, up to RECOVERY_CODE_RETRIES times per password
 * step and while the account is not locked. The 401 carries the new attempt and number.
 */
async function recoveryCodeRetry(
  ctx: AuthContexts,
  c: Context,
  attempt: AttemptRow,
  userId: number,
  failures: number,
): Promise<HttpError> {
  const retries = (JSON.parse(attempt.pendingData ?? '{}') as { codeRetries?: number }).codeRetries;
  const used = retries ?? 0;
  const numbers = await unusedCodeNumbers(ctx.store.db, userId);
  const others = numbers.filter((n) => n !== attempt.recoveryCodeNumber);
  const recoveryCodeNumber = pickCodeNumber(
    others.length > 0 ? others : numbers,
    ctx.recoveryCodes.random,
  );
  if (
    used >= RECOVERY_CODE_RETRIES ||
    failures >= ACCOUNT_LOCKOUT_THRESHOLD ||
    !recoveryCodeNumber
  ) {
    return new HttpError(401, 'sign_in_failed', SIGN_IN_FAILED_MESSAGE);
  }
  const next = await beginAttempt(ctx.attempts, requestInfo(c), 'signin', {
    step: 'second',
    userId,
    recoveryCodeNumber,
    pendingData: JSON.stringify({ codeRetries: used + 1 }),
  });
  return new HttpError(
    401,
    'recovery_code_wrong',
    `That recovery code is not right. Try code #${recoveryCodeNumber} from your list instead.`,
    { attempt: next.token, recoveryCodeNumber },
  );
}

async function failSecondFactor(
  ctx: AuthContexts,
  ticket: TryTicket,
  info: RequestInfo,
  factor: string,
): Promise<never> {
  await settleFailure(ctx.failures, ticket, info, factor);
  throw new HttpError(401, 'sign_in_failed', SIGN_IN_FAILED_MESSAGE);
}

async function succeed(
  ctx: AuthContexts,
  user: UserRow,
  info: RequestInfo,
  factor: string,
): Promise<void> {
  await resetUserFailures(ctx.store.db, user.id);
  // §5.2.2: after a success, forget this IP's earlier failures (this IP's only).
  ctx.failures.ipFailures.forget(info.ip);
  await logSecurityEvent(ctx.store.db, {
    userId: user.id,
    type: factor.startsWith('recovery') ? 'sign_in_with_recovery_code' : 'sign_in',
    detail: `password + ${factor}`,
    now: ctx.store.clock.now(),
    ...info,
  });
}
