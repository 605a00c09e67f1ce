/**
 * The signed-in account (the flow: server/auth/flows/account.ts): its keys, recovery codes,
 * password and security log.
 *
 *   GET    /api/account                   → username, keys (revoked ones too), codes left, events
 *   POST   /api/account/keys/options      → { attempt, options } to register another key
 *   POST   /api/account/keys              { attempt, response, keyName } → bound
 *                                         (after a recovery-code sign-in: also new codes and a
 *                                         full session with a new id)
 *   DELETE /api/account/keys/:id          → revoked (the row stays, with revoked_at)
 *   POST   /api/account/keys/:id/name     { name } → renamed
 *   POST   /api/account/totp/options      → { attempt, secret, uri } to enrol an authenticator app
 *   POST   /api/account/totp              { attempt, code } → bound (after a recovery-code
 *                                         sign-in: also new codes and a full session)
 *   DELETE /api/account/totp              → removed (the row stays, with revoked_at)
 *   POST   /api/account/recovery-codes    → ten new codes, once; the old ones stop working
 *   POST   /api/account/password          { currentPassword, newPassword }
 *
 * Binding a factor and new codes need an authentication in the last 15 minutes (§6.1.2.1),
 * removing one in the last 5 (the page asks for confirmation and the password right before);
 * otherwise 403 reauth_required, and POST /api/session/reauth first. The last factor (key or
 * app) cannot be removed.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type {
  AccountOverviewAnswer,
  AccountTotpEnrolmentAnswer,
  AttemptOptionsAnswer,
  FactorBoundAnswer,
  KeyRenamedAnswer,
  RecoveryCodesAnswer,
} from '../../contract/answers.js';
import {
  type AccountContext,
  accountOverview,
  type Bound,
  beginAppBinding,
  beginKeyBinding,
  bindApp,
  bindKey,
  changePassword,
  newRecoveryCodes,
  removeApp,
  removeKey,
  renameKey,
} from '../auth/flows/account.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { requireSession, type SessionEnv } from '../http/require-session.js';
import { readJsonBody } from '../http/validation.js';
import { requestInfo } from './auth/attempts.js';
import {
  asRegistrationResponse,
  attemptTokenSchema,
  keyRegistrationBody,
  passwordSchema,
  totpCodeSchema,
} from './auth/bodies.js';
import { refusalError, type SharedRefusal, totpEnrolmentError } from './auth/refusals.js';
import { sessionAnswer } from './auth/session-response.js';

const totpBindBody = z.object({ attempt: attemptTokenSchema, code: totpCodeSchema }).strict();
const renameBody = z.object({ name: z.string().trim().min(1).max(64) }).strict();
const passwordBody = z
  .object({ currentPassword: passwordSchema, newPassword: passwordSchema })
  .strict();

type AccountRefusal =
  | SharedRefusal
  | { kind: 'not_signed_in' }
  | { kind: 'reauth_required' }
  | { kind: 'recovery_expired' }
  | { kind: 'other_session' }
  | { kind: 'totp_exists' }
  | { kind: 'totp_exists_now' }
  | { kind: 'no_enrolment' }
  | { kind: 'totp_wrong' }
  | { kind: 'already_completed' }
  | { kind: 'no_such_key' }
  | { kind: 'no_app' }
  | { kind: 'last_factor' }
  | { kind: 'current_password_wrong' };

function accountError(refusal: AccountRefusal): HttpError {
  switch (refusal.kind) {
    case 'not_signed_in':
      return new HttpError(401, 'not_signed_in');
    case 'reauth_required':
      return new HttpError(403, 'reauth_required');
    case 'recovery_expired':
      return new HttpError(
        401,
        'recovery_expired',
        'This recovery sign-in is no longer recent. Sign in again with a recovery code.',
      );
    case 'other_session':
      return new HttpError(401, 'attempt_expired', 'This request belongs to another session.');
    case 'totp_exists':
      return new HttpError(
        409,
        'totp_exists',
        'An authenticator app is already set up. Remove it first to set up another one.',
      );
    case 'totp_exists_now':
      return new HttpError(409, 'totp_exists');
    case 'no_enrolment':
      return new HttpError(409, 'wrong_step', 'Start the set-up again.');
    case 'totp_wrong':
      return totpEnrolmentError();
    case 'already_completed':
      return new HttpError(401, 'attempt_expired', 'This set-up was already completed.');
    case 'no_such_key':
      return new HttpError(404, 'not_found', 'No such key.');
    case 'no_app':
      return new HttpError(404, 'not_found', 'No authenticator app is set up.');
    case 'last_factor':
      return new HttpError(
        409,
        'last_key',
        'This is your only second factor: add another security key or an authenticator app before removing it.',
      );
    case 'current_password_wrong':
      return new HttpError(401, 'reauth_failed', 'Your current password is not right.');
    default:
      return refusalError(refusal);
  }
}

/** A factor bound: `{ bound: true }`, and after a recovery sign-in new codes and a session. */
function boundAnswer(c: Context<SessionEnv>, result: Bound) {
  const { upgraded } = result;
  if (!upgraded) return c.json({ bound: true } satisfies FactorBoundAnswer);
  const session = sessionAnswer(c, upgraded.username, upgraded.started);
  noStore(c);
  return c.json({
    bound: true,
    recoveryCodes: upgraded.recoveryCodes,
    session,
  } satisfies FactorBoundAnswer);
}

export function accountRoutes(ctx: AccountContext) {
  const app = new Hono<SessionEnv>();
  const anyKind = requireSession(ctx.sessions, ['full', 'rebind', 'password_change']);
  const full = requireSession(ctx.sessions, ['full']);
  const binding = requireSession(ctx.sessions, ['full', 'rebind']);

  app.get('/api/account', anyKind, async (c) => {
    const result = await accountOverview(ctx, c.get('session'));
    if (result.kind !== 'ok') throw accountError(result);
    noStore(c);
    return c.json(result.view satisfies AccountOverviewAnswer);
  });

  app.post('/api/account/keys/options', binding, async (c) => {
    const result = await beginKeyBinding(ctx, c.get('session'), requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    return c.json({
      attempt: result.attempt,
      options: result.options,
    } satisfies AttemptOptionsAnswer<unknown>);
  });

  app.post('/api/account/keys', binding, async (c) => {
    const body = await readJsonBody(c, keyRegistrationBody);
    const response = asRegistrationResponse(body.response);
    const result = await bindKey(ctx, c.get('session'), { ...body, response }, requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    return boundAnswer(c, result);
  });

  app.post('/api/account/totp/options', binding, async (c) => {
    const result = await beginAppBinding(ctx, c.get('session'), requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    noStore(c);
    return c.json({
      attempt: result.attempt,
      secret: result.secret,
      uri: result.uri,
    } satisfies AccountTotpEnrolmentAnswer);
  });

  app.post('/api/account/totp', binding, async (c) => {
    const body = await readJsonBody(c, totpBindBody);
    const result = await bindApp(ctx, c.get('session'), body, requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    return boundAnswer(c, result);
  });

  app.delete('/api/account/totp', full, async (c) => {
    const result = await removeApp(ctx, c.get('session'), requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    return c.body(null, 204);
  });

  app.post('/api/account/keys/:id/name', full, async (c) => {
    const { name } = await readJsonBody(c, renameBody);
    const id = Number(c.req.param('id'));
    const result = await renameKey(ctx, c.get('session'), { id, name }, requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    return c.json({ id, name } satisfies KeyRenamedAnswer);
  });

  app.delete('/api/account/keys/:id', full, async (c) => {
    const id = Number(c.req.param('id'));
    const result = await removeKey(ctx, c.get('session'), id, requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    return c.body(null, 204);
  });

  app.post('/api/account/recovery-codes', full, async (c) => {
    const result = await newRecoveryCodes(ctx, c.get('session'), requestInfo(c));
    if (result.kind !== 'ok') throw accountError(result);
    noStore(c);
    return c.json({ recoveryCodes: result.recoveryCodes } satisfies RecoveryCodesAnswer);
  });

  app.post(
    '/api/account/password',
    requireSession(ctx.sessions, ['full', 'password_change']),
    async (c) => {
      const body = await readJsonBody(c, passwordBody);
      const result = await changePassword(ctx, c.get('session'), body, requestInfo(c));
      if (result.kind !== 'ok') throw accountError(result);
      const session = sessionAnswer(c, result.username, result.started);
      noStore(c);
      return c.json(session);
    },
  );

  return app;
}
