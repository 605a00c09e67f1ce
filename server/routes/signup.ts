/**
 * Sign-up (the flow: server/auth/flows/signup.ts): every factor bound in one flow, each step
 * proving the secret of the pending sign-up, and no user row until the last step.
 *
 *   POST /api/signup/start          → { attempt }                  then POST /api/auth/captcha
 *   POST /api/signup/password       { attempt, username, password, captcha } → WebAuthn options
 *   POST /api/signup/key/options    { attempt }                    → fresh WebAuthn options
 *   POST /api/signup/key            { attempt, response, keyName } → the recovery codes, once
 *   (or, instead of a key, an authenticator app:)
 *   POST /api/signup/totp/options   { attempt }                    → { secret, uri }, once
 *   POST /api/signup/totp           { attempt, code }              → the recovery codes, once
 *   POST /api/signup/finish         { attempt, savedCodes: true }  → the account and a session
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type {
  OptionsAnswer,
  RecoveryCodesAnswer,
  TotpEnrolmentAnswer,
} from '../../contract/answers.js';
import {
  beginAppEnrolment,
  chooseCredentials,
  confirmApp,
  finishSignup,
  registerKey,
  renewKeyOptions,
  type SignupContext,
} from '../auth/flows/signup.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { readJsonBody } from '../http/validation.js';
import { requestInfo, startAttemptHandler } from './auth/attempts.js';
import {
  asRegistrationResponse,
  attemptBody,
  attemptTokenSchema,
  credentialsBody,
  keyRegistrationBody,
  totpCodeSchema,
} from './auth/bodies.js';
import { refusalError, type SharedRefusal, totpEnrolmentError } from './auth/refusals.js';
import { sessionAnswer } from './auth/session-response.js';

const finishBody = z.object({ attempt: attemptTokenSchema, savedCodes: z.literal(true) }).strict();
const totpCodeBody = z.object({ attempt: attemptTokenSchema, code: totpCodeSchema }).strict();

/** The sign-up's own refusals, and the shared ones, as HTTP. */
type SignupRefusal =
  | SharedRefusal
  | { kind: 'invalid_username'; message: string }
  | { kind: 'username_taken' }
  | { kind: 'no_enrolment' }
  | { kind: 'totp_wrong' }
  | { kind: 'incomplete' }
  | { kind: 'already_completed' }
  | { kind: 'username_taken_meanwhile' };

function signupError(refusal: SignupRefusal): HttpError {
  switch (refusal.kind) {
    case 'invalid_username':
      return new HttpError(400, 'invalid_username', refusal.message);
    case 'username_taken':
      return new HttpError(409, 'username_taken');
    case 'no_enrolment':
      return new HttpError(409, 'wrong_step', 'Ask for a new QR code first, then type its code.');
    case 'totp_wrong':
      return totpEnrolmentError();
    case 'incomplete':
      return new HttpError(409, 'wrong_step', 'This sign-up is incomplete. Start again.');
    case 'already_completed':
      return new HttpError(401, 'attempt_expired', 'This sign-up was already completed.');
    case 'username_taken_meanwhile':
      return new HttpError(
        409,
        'username_taken',
        'Someone took this username while you were signing up. Start again with another one.',
      );
    default:
      return refusalError(refusal);
  }
}

export function signupRoutes(ctx: SignupContext) {
  const app = new Hono();

  app.post('/api/signup/start', startAttemptHandler(ctx.attempts, 'signup', { step: 'password' }));

  app.post('/api/signup/password', async (c) => {
    const result = await chooseCredentials(ctx, await readJsonBody(c, credentialsBody));
    if (result.kind !== 'ok') throw signupError(result);
    return c.json({ options: result.options } satisfies OptionsAnswer<unknown>);
  });

  app.post('/api/signup/key/options', async (c) => {
    const result = await renewKeyOptions(ctx, await readJsonBody(c, attemptBody));
    if (result.kind !== 'ok') throw signupError(result);
    return c.json({ options: result.options } satisfies OptionsAnswer<unknown>);
  });

  app.post('/api/signup/key', async (c) => {
    const body = await readJsonBody(c, keyRegistrationBody);
    const response = asRegistrationResponse(body.response);
    const result = await registerKey(ctx, { ...body, response });
    if (result.kind !== 'ok') throw signupError(result);
    noStore(c);
    return c.json({ recoveryCodes: result.recoveryCodes } satisfies RecoveryCodesAnswer);
  });

  app.post('/api/signup/totp/options', async (c) => {
    const result = await beginAppEnrolment(ctx, await readJsonBody(c, attemptBody));
    if (result.kind !== 'ok') throw signupError(result);
    noStore(c);
    return c.json({ secret: result.secret, uri: result.uri } satisfies TotpEnrolmentAnswer);
  });

  app.post('/api/signup/totp', async (c) => {
    const result = await confirmApp(ctx, await readJsonBody(c, totpCodeBody));
    if (result.kind !== 'ok') throw signupError(result);
    noStore(c);
    return c.json({ recoveryCodes: result.recoveryCodes } satisfies RecoveryCodesAnswer);
  });

  app.post('/api/signup/finish', async (c) => {
    const body = await readJsonBody(c, finishBody);
    const result = await finishSignup(ctx, body, requestInfo(c));
    if (result.kind !== 'ok') throw signupError(result);
    const session = sessionAnswer(c, result.username, result.started);
    noStore(c);
    return c.json(session);
  });

  return app;
}
