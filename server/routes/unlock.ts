/**
 * Unlocking an account locked after 100 failures (the flow: server/auth/flows/unlock.ts): the
 * password, one unused recovery code and the security key. It does not sign in.
 *
 *   POST /api/unlock/start    → { attempt }
 *   POST /api/unlock/options  { attempt, username, password, code } → { attempt, options }
 *   POST /api/unlock/finish   { attempt, response } → 204
 *
 * Every refusal of the proof and of the key is one and the same 401 `unlock_failed`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AttemptOptionsAnswer } from '../../contract/answers.js';
import { finishUnlock, proveForUnlock, type UnlockContext } from '../auth/flows/unlock.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { readJsonBody } from '../http/validation.js';
import { requestInfo, startAttemptHandler } from './auth/attempts.js';
import {
  asAuthenticationResponse,
  attemptTokenSchema,
  authenticationResponseSchema,
  passwordSchema,
  usernameSchema,
} from './auth/bodies.js';
import { refusalError, type SharedRefusal } from './auth/refusals.js';

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

function unlockError(refusal: SharedRefusal | { kind: 'unlock_failed' }): HttpError {
  if (refusal.kind === 'unlock_failed') return new HttpError(401, 'unlock_failed', UNLOCK_FAILED);
  return refusalError(refusal);
}

export function unlockRoutes(ctx: UnlockContext) {
  const app = new Hono();

  app.post('/api/unlock/start', startAttemptHandler(ctx.attempts, 'unlock', { step: 'username' }));

  app.post('/api/unlock/options', async (c) => {
    const body = await readJsonBody(c, optionsBody);
    const result = await proveForUnlock(ctx, body, requestInfo(c));
    if (result.kind !== 'ok') throw unlockError(result);
    noStore(c);
    return c.json({
      attempt: result.attempt,
      options: result.options,
    } satisfies AttemptOptionsAnswer<unknown>);
  });

  app.post('/api/unlock/finish', async (c) => {
    const body = await readJsonBody(c, finishBody);
    const response = asAuthenticationResponse(body.response);
    const result = await finishUnlock(ctx, { ...body, response }, requestInfo(c));
    if (result.kind !== 'ok') throw unlockError(result);
    return c.body(null, 204);
  });

  return app;
}
