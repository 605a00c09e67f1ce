/**
 * Unlocking an account locked after 100 failures (NIST SP 800-63B §5.2.2): the password, one
 * unused recovery code and the security key, so an online guesser (who holds none of the
 * second two) learns nothing. It clears the failure count and is logged; it does not sign in.
 *
 *   POST /api/unlock/start    → { attempt }
 *   POST /api/unlock/options  { attempt, username, password, code } → { options }
 *   POST /api/unlock/finish   { attempt, response } → 204
 *
 * The options step answers one and the same 401 for an unknown username, an account that is
 * not locked, a wrong password and a wrong code, after the same work (a password hash and one
 * code hash per code slot): neither the lock state nor the key's credential ids reach anyone
 * who has not proved the password and a code. As the code alone carries 80 random bits, the
 * answer is no oracle for the password either, so these tries need not count toward the lock
 * (which they could not deepen anyway); they count for the client IP and are logged.
 * Any unused code is accepted here (not a numbered one, §5.1.2.2): asking for a number before
 * the password and code are proven would tell which codes are left, hence that the account
 * exists and its state.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { beginAttempt } from '../auth/attempts.js';
import type { AuthContexts } from '../auth/auth-contexts.js';
import { newAssertionOptions, verifyKey } from '../auth/key-factor.js';
import { normalizePassword } from '../auth/password-policy.js';
import { normalizeRecoveryCode, RECOVERY_CODE_COUNT } from '../auth/recovery-codes.js';
import { hashToken } from '../auth/secret-token.js';
import { usernameKey } from '../auth/username.js';
import { deleteAttempt } from '../db/attempt-store.js';
import { consumeCode, findUnusedCode, unusedCodes } from '../db/recovery-code-store.js';
import { logSecurityEvent } from '../db/security-event-store.js';
import { findUserById, findUserByKey, unlockUser } from '../db/user-store.js';
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
  attemptTokenSchema,
  authenticationResponseSchema,
  passwordSchema,
  usernameSchema,
} from './auth/bodies.js';
import { ATTEMPT_GONE_MESSAGE } from './auth/refusals.js';

const optionsBody = z
  .object({
    attempt: attemptTokenSchema,
    username: usernameSchema,
    password: passwordSchema,
    code: z.string().max(64),
  })
  .strict();
const finishBody = z
  .object({ attempt: attemptTokenSchema, response: authenticationResponseSchema })
  .strict();

const UNLOCK_FAILED =
  'The account could not be unlocked: the username, password, recovery code or security key was not right, or the account is not locked. Start again.';

export function unlockRoutes(ctx: AuthContexts) {
  const app = new Hono();

  app.post('/api/unlock/start', startAttemptHandler(ctx.attempts, 'unlock', { step: 'username' }));

  app.post('/api/unlock/options', async (c) => {
    const body = await readJsonBody(c, optionsBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'unlock', ['username']);
    const info = requestInfo(c);
    // One try per attempt, whatever the outcome.
    if (!(await deleteAttempt(ctx.store.db, attempt.idHash))) {
      throw new HttpError(401, 'attempt_expired', ATTEMPT_GONE_MESSAGE);
    }
    const user = await findUserByKey(ctx.store.db, usernameKey(body.username));
    const normalized = normalizePassword(body.password);
    const passwordOk = user
      ? (await ctx.passwords.hasher.verify(normalized, user.passwordHash)).ok
      : await ctx.passwords.hasher.verifyDummy(normalized).then(() => false);
    const codeNumber = await matchUnusedCode(ctx, user?.id, body.code);
    if (!user || user.lockedAt === null || !passwordOk || codeNumber === null) {
      ctx.failures.ipFailures.add(info.ip);
      if (user) {
        await logSecurityEvent(ctx.store.db, {
          userId: user.id,
          type: 'unlock_failed',
          detail: user.lockedAt === null ? 'not locked' : 'password or recovery code',
          now: ctx.store.clock.now(),
          ...info,
        });
      }
      throw new HttpError(401, 'unlock_failed', UNLOCK_FAILED);
    }
    // Proven: a new attempt for the key, which carries the matched code's number.
    const next = await beginAttempt(ctx.attempts, requestInfo(c), 'unlock', {
      step: 'proof',
      userId: user.id,
      recoveryCodeNumber: codeNumber,
    });
    const options = await newAssertionOptions(ctx.keys, hashToken(next.token), user.id);
    noStore(c);
    return c.json({ attempt: next.token, options });
  });

  app.post('/api/unlock/finish', async (c) => {
    const body = await readJsonBody(c, finishBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'unlock', ['proof']);
    const info = requestInfo(c);
    const user =
      attempt.userId === null ? undefined : await findUserById(ctx.store.db, attempt.userId);
    if (!user) throw new HttpError(401, 'unlock_failed', UNLOCK_FAILED);
    const expectedChallenge = await requireChallenge(ctx.store, attempt);
    // One try per attempt.
    await deleteAttempt(ctx.store.db, attempt.idHash);
    const keyOk = await verifyKey(
      ctx.keys,
      user.id,
      asAuthenticationResponse(body.response),
      expectedChallenge,
    );
    const number = attempt.recoveryCodeNumber;
    // The code is only used up when the key was right too (and only once, if raced).
    const code =
      keyOk && number !== null ? await findUnusedCode(ctx.store.db, user.id, number) : undefined;
    const codeOk =
      code !== undefined && (await consumeCode(ctx.store.db, code.id, ctx.store.clock.now()));
    const now = ctx.store.clock.now();
    if (!keyOk || !codeOk) {
      ctx.failures.ipFailures.add(info.ip);
      await logSecurityEvent(ctx.store.db, {
        userId: user.id,
        type: 'unlock_failed',
        now,
        ...info,
      });
      throw new HttpError(401, 'unlock_failed', UNLOCK_FAILED);
    }
    await unlockUser(ctx.store.db, user.id);
    await logSecurityEvent(ctx.store.db, {
      userId: user.id,
      type: 'recovery_code_used',
      detail: `code #${number} (unlock)`,
      now,
      ...info,
    });
    await logSecurityEvent(ctx.store.db, {
      userId: user.id,
      type: 'account_unlocked',
      now,
      ...info,
    });
    ctx.logger.warn('account unlocked', { userId: user.id });
    return c.body(null, 204);
  });

  return app;
}

/**
 * The number of the user's unused code that `input` is, or null. Always the same work: one
 * hash per code slot (a dummy for a used or missing one), so the time tells nothing.
 */
async function matchUnusedCode(
  ctx: AuthContexts,
  userId: number | undefined,
  input: string,
): Promise<number | null> {
  const canonical = normalizeRecoveryCode(input);
  const rows = userId === undefined ? [] : await unusedCodes(ctx.store.db, userId);
  let matched: number | null = null;
  for (let slot = 0; slot < RECOVERY_CODE_COUNT; slot += 1) {
    const row = rows[slot];
    if (row && canonical) {
      const verdict = await ctx.recoveryCodes.hasher.verify(canonical, row.codeHash);
      if (verdict.ok && matched === null) matched = row.number;
    } else {
      await ctx.recoveryCodes.hasher.verifyDummy(canonical ?? input);
    }
  }
  return matched;
}
