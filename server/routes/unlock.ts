/**
 * Unlocking an account locked after 100 failures (NIST SP 800-63B §5.2.2): the security key
 * plus one numbered recovery code, factors an online guesser does not hold. It clears the
 * failure count and is logged; it does not sign in (the password is still needed for that).
 *
 *   POST /api/unlock/start    → { attempt }
 *   POST /api/unlock/options  { attempt, username } → { options, recoveryCodeNumber }
 *   POST /api/unlock/finish   { attempt, response, code } → 204
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthRuntime } from '../auth/auth-runtime.js';
import { pickCodeNumber } from '../auth/recovery-codes.js';
import { usernameKey } from '../auth/username.js';
import { deleteAttempt } from '../db/attempt-store.js';
import { unusedCodeNumbers } from '../db/recovery-code-store.js';
import { logSecurityEvent } from '../db/security-event-store.js';
import { findUserById, findUserByKey, unlockUser } from '../db/user-store.js';
import { HttpError } from '../http/errors.js';
import { readJsonBody } from '../http/validation.js';
import {
  asAuthenticationResponse,
  attemptTokenSchema,
  authenticationResponseSchema,
  requestInfo,
  requireAttempt,
  startAttemptHandler,
  useChallenge,
  usernameSchema,
} from './auth-common.js';
import { newAssertionOptions, useRecoveryCode, verifyKey } from './signin.js';

const optionsBody = z.object({ attempt: attemptTokenSchema, username: usernameSchema }).strict();
const finishBody = z
  .object({
    attempt: attemptTokenSchema,
    response: authenticationResponseSchema,
    code: z.string().max(64),
  })
  .strict();

const UNLOCK_FAILED =
  'The account could not be unlocked: the security key or recovery code was not right. Start again.';

export function unlockRoutes(rt: AuthRuntime) {
  const app = new Hono();

  app.post('/api/unlock/start', startAttemptHandler(rt, 'unlock', { step: 'username' }));

  app.post('/api/unlock/options', async (c) => {
    const body = await readJsonBody(c, optionsBody);
    const attempt = await requireAttempt(rt, body.attempt, 'unlock', ['username']);
    const user = await findUserByKey(rt.db, usernameKey(body.username));
    // Unknown and unlocked accounts get the same answer.
    if (!user || user.lockedAt === null) {
      throw new HttpError(409, 'not_locked', 'This account is not locked: sign in as usual.');
    }
    const numbers = await unusedCodeNumbers(rt.db, user.id);
    const recoveryCodeNumber = pickCodeNumber(numbers, rt.random) ?? null;
    const options = await newAssertionOptions(rt, attempt.idHash, user.id, {
      step: 'proof',
      userId: user.id,
      recoveryCodeNumber,
    });
    return c.json({ options, recoveryCodeNumber });
  });

  app.post('/api/unlock/finish', async (c) => {
    const body = await readJsonBody(c, finishBody);
    const attempt = await requireAttempt(rt, body.attempt, 'unlock', ['proof']);
    const info = requestInfo(c);
    const user = attempt.userId === null ? undefined : await findUserById(rt.db, attempt.userId);
    if (!user) throw new HttpError(401, 'unlock_failed', UNLOCK_FAILED);
    const expectedChallenge = await useChallenge(rt, attempt);
    // One try per attempt.
    await deleteAttempt(rt.db, attempt.idHash);
    const keyOk = await verifyKey(
      rt,
      user.id,
      asAuthenticationResponse(body.response),
      expectedChallenge,
    );
    const number = attempt.recoveryCodeNumber;
    // The code is only used up when the key was right too.
    const codeOk =
      keyOk && number !== null && (await useRecoveryCode(rt, user.id, number, body.code));
    const now = rt.clock.now();
    if (!keyOk || !codeOk) {
      rt.ipFailures.add(info.ip);
      await logSecurityEvent(rt.db, { userId: user.id, type: 'unlock_failed', now, ...info });
      throw new HttpError(401, 'unlock_failed', UNLOCK_FAILED);
    }
    await unlockUser(rt.db, user.id);
    await logSecurityEvent(rt.db, {
      userId: user.id,
      type: 'recovery_code_used',
      detail: `code #${number} (unlock)`,
      now,
      ...info,
    });
    await logSecurityEvent(rt.db, { userId: user.id, type: 'account_unlocked', now, ...info });
    rt.logger.warn('account unlocked', { userId: user.id });
    return c.body(null, 204);
  });

  return app;
}
