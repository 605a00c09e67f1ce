/**
 * Sign-in (the flow: server/auth/flows/signin.ts): password, then the security key, the
 * authenticator app or one numbered recovery code. Errors never say whether the username exists.
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
import type { OptionsAnswer, SecondStepAnswer } from '../../contract/answers.js';
import {
  type PasswordStep,
  type RecoveryCodeWrong,
  renewAssertionOptions,
  type SignedIn,
  type SigninContext,
  signInWithApp,
  signInWithKey,
  signInWithPassword,
  signInWithRecoveryCode,
} from '../auth/flows/signin.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { readJsonBody } from '../http/validation.js';
import { requestInfo, startAttemptHandler } from './auth/attempts.js';
import {
  asAuthenticationResponse,
  attemptBody,
  attemptTokenSchema,
  authenticationResponseSchema,
  credentialsBody,
  totpCodeSchema,
} from './auth/bodies.js';
import { refusalError, type SharedRefusal } from './auth/refusals.js';
import { sessionAnswer } from './auth/session-response.js';

const keyBody = z
  .object({ attempt: attemptTokenSchema, response: authenticationResponseSchema })
  .strict();
const totpBody = z.object({ attempt: attemptTokenSchema, code: totpCodeSchema }).strict();
const codeBody = z.object({ attempt: attemptTokenSchema, code: z.string().max(64) }).strict();

type SigninRefusal =
  | SharedRefusal
  | Extract<PasswordStep, { kind: 'password_wrong' }>
  | { kind: 'sign_in_failed' }
  | RecoveryCodeWrong;

function signinError(refusal: SigninRefusal): HttpError {
  switch (refusal.kind) {
    case 'password_wrong':
      return new HttpError(401, 'sign_in_failed', 'The username or password is not right.', {
        captchaRequired: refusal.captchaRequired,
      });
    case 'sign_in_failed':
      return new HttpError(401, 'sign_in_failed');
    case 'recovery_code_wrong':
      return new HttpError(
        401,
        'recovery_code_wrong',
        `That recovery code is not right. Try code #${refusal.recoveryCodeNumber} from your list instead.`,
        { attempt: refusal.attempt, recoveryCodeNumber: refusal.recoveryCodeNumber },
      );
    default:
      return refusalError(refusal);
  }
}

/** A second step's answer: the session's cookie and body, or the refusal. */
function answer(c: Context, result: SignedIn | SigninRefusal) {
  if (result.kind !== 'ok') throw signinError(result);
  const session = sessionAnswer(c, result.username, result.started);
  noStore(c);
  return c.json(session);
}

export function signinRoutes(ctx: SigninContext) {
  const app = new Hono();

  app.post('/api/signin/start', startAttemptHandler(ctx.attempts, 'signin', { step: 'password' }));

  app.post('/api/signin/password', async (c) => {
    const body = await readJsonBody(c, credentialsBody);
    const result = await signInWithPassword(ctx, body, requestInfo(c));
    if (result.kind !== 'ok') throw signinError(result);
    noStore(c);
    const { options, recoveryCodeNumber, factors } = result;
    return c.json({ options, recoveryCodeNumber, factors } satisfies SecondStepAnswer<unknown>);
  });

  app.post('/api/signin/key/options', async (c) => {
    const result = await renewAssertionOptions(ctx, await readJsonBody(c, attemptBody));
    if (result.kind !== 'ok') throw signinError(result);
    return c.json({ options: result.options } satisfies OptionsAnswer<unknown>);
  });

  app.post('/api/signin/key', async (c) => {
    const body = await readJsonBody(c, keyBody);
    const response = asAuthenticationResponse(body.response);
    return answer(c, await signInWithKey(ctx, { ...body, response }, requestInfo(c)));
  });

  app.post('/api/signin/totp', async (c) => {
    const body = await readJsonBody(c, totpBody);
    return answer(c, await signInWithApp(ctx, body, requestInfo(c)));
  });

  app.post('/api/signin/recovery-code', async (c) => {
    const body = await readJsonBody(c, codeBody);
    return answer(c, await signInWithRecoveryCode(ctx, body, requestInfo(c)));
  });

  return app;
}
