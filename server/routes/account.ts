/**
 * The signed-in account: its keys, recovery codes, password and security log.
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
import { beginAttempt, type RequestInfo } from '../auth/attempts.js';
import type { AuthContexts } from '../auth/auth-contexts.js';
import { DEFAULT_KEY_NAME } from '../auth/key-factor.js';
import { issueRecoveryCodes } from '../auth/recovery-code-factor.js';
import { recentlyAuthenticated } from '../auth/session-policy.js';
import { type ActiveSession, endSessions, endUserSessions } from '../auth/sessions.js';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../auth/totp-factor.js';
import { keyRegistrationChallenge } from '../auth/webauthn-challenges.js';
import { deleteAttempt } from '../db/attempt-store.js';
import {
  activeCredentials,
  allCredentials,
  insertCredential,
  renameCredential,
  transportsOf,
} from '../db/credential-store.js';
import { removeFactor } from '../db/factor-removal.js';
import { replaceRecoveryCodes, unusedCodeNumbers } from '../db/recovery-code-store.js';
import { logSecurityEvent, recentSecurityEvents } from '../db/security-event-store.js';
import { activeTotp, insertTotp } from '../db/totp-store.js';
import { findUserById, setPasswordHash, type UserRow } from '../db/user-store.js';
import { HttpError } from '../http/errors.js';
import { noStore } from '../http/no-store.js';
import { requireSession, type SessionEnv } from '../http/require-session.js';
import { readJsonBody } from '../http/validation.js';
import { requestInfo, requireAttempt, requireChallenge } from './auth/attempts.js';
import {
  attemptTokenSchema,
  keyRegistrationBody,
  passwordSchema,
  totpCodeSchema,
} from './auth/bodies.js';
import { verifyNewKey } from './auth/new-key.js';
import { requireCurrentPassword, requireNewPassword } from './auth/password-check.js';
import { totpEnrolmentError } from './auth/refusals.js';
import { startSessionResponse } from './auth/session-response.js';

const totpBindBody = z.object({ attempt: attemptTokenSchema, code: totpCodeSchema }).strict();
const renameBody = z.object({ name: z.string().trim().min(1).max(64) }).strict();

function lastFactorError(): HttpError {
  return new HttpError(
    409,
    'last_key',
    'This is your only second factor: add another security key or an authenticator app before removing it.',
  );
}

const passwordBody = z
  .object({ currentPassword: passwordSchema, newPassword: passwordSchema })
  .strict();

export function accountRoutes(ctx: AuthContexts) {
  const app = new Hono<SessionEnv>();
  const anyKind = requireSession(ctx.sessions, ['full', 'rebind', 'password_change']);
  const full = requireSession(ctx.sessions, ['full']);
  const binding = requireSession(ctx.sessions, ['full', 'rebind']);

  /**
   * §6.1.2.1: binding needs a recent authentication. A full session confirms the password again;
   * a recovery (rebind) session was made by its sign-in alone, so once that is no longer recent
   * the user signs in again with a recovery code.
   */
  const requireRecent = (session: ActiveSession) => {
    if (recentlyAuthenticated(session, ctx.sessions.limits, ctx.store.clock.now())) return;
    if (session.kind === 'rebind') {
      throw new HttpError(
        401,
        'recovery_expired',
        'This recovery sign-in is no longer recent. Sign in again with a recovery code.',
      );
    }
    throw new HttpError(403, 'reauth_required', 'Confirm your password to continue.');
  };

  const loadUser = async (session: ActiveSession): Promise<UserRow> => {
    const user = await findUserById(ctx.store.db, session.userId);
    if (!user) throw new HttpError(401, 'not_signed_in', 'Sign in to continue.');
    return user;
  };

  /** A new set of ten codes replaces the old one (which stops working at once), logged. */
  const replaceCodes = async (userId: number, detail: string, info: RequestInfo, now: Date) => {
    const { codes, records } = await issueRecoveryCodes(ctx.recoveryCodes);
    await replaceRecoveryCodes(ctx.store.db, userId, records, now);
    await logSecurityEvent(ctx.store.db, {
      userId,
      type: 'recovery_codes_issued',
      detail,
      now,
      ...info,
    });
    return codes;
  };

  /** Removing a factor: an authentication in the last few minutes, not just the last 15. */
  const requireVeryRecent = (session: ActiveSession) => {
    const age = ctx.store.clock.now().getTime() - session.authenticatedAt.getTime();
    if (age < ctx.sessions.limits.removeFactorAuthMs) return;
    throw new HttpError(403, 'reauth_required', 'Confirm your password to continue.');
  };

  /**
   * After a factor is bound in a recovery (rebind) session: new codes (the old set had one
   * used) and a full session with a new id. Null in a full session, which just goes on.
   */
  const afterBinding = async (
    c: Context<SessionEnv>,
    session: ActiveSession,
    user: UserRow,
    info: RequestInfo,
    now: Date,
  ) => {
    if (session.kind !== 'rebind') return null;
    const codes = await replaceCodes(user.id, 'after a lost key', info, now);
    await endSessions(ctx.sessions, [session.idHash], 'session upgraded');
    const { body: next } = await startSessionResponse(
      ctx.sessions,
      c,
      user,
      'full',
      session.authenticatedAt,
    );
    noStore(c);
    return { recoveryCodes: codes, session: next };
  };

  app.get('/api/account', anyKind, async (c) => {
    const user = await loadUser(c.get('session'));
    const [keys, codes, events, totp] = await Promise.all([
      allCredentials(ctx.store.db, user.id),
      unusedCodeNumbers(ctx.store.db, user.id),
      recentSecurityEvents(ctx.store.db, user.id),
      activeTotp(ctx.store.db, user.id),
    ]);
    noStore(c);
    return c.json({
      username: user.username,
      createdAt: user.createdAt.toISOString(),
      passwordCompromised: user.passwordCompromisedAt !== null,
      keys: keys.map((key) => ({
        id: key.id,
        name: key.name,
        createdAt: key.createdAt.toISOString(),
        lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
        revokedAt: key.revokedAt?.toISOString() ?? null,
        // 'device-bound', 'synced' or 'unknown' (bound before the flags were recorded).
        storage:
          key.deviceType === null
            ? 'unknown'
            : key.deviceType === 'multiDevice' || key.backedUp === 1
              ? 'synced'
              : 'device-bound',
      })),
      totp: totp
        ? {
            createdAt: totp.createdAt.toISOString(),
            lastUsedAt: totp.lastUsedAt?.toISOString() ?? null,
          }
        : null,
      recoveryCodesLeft: codes.length,
      events: events.map((event) => ({
        type: event.type,
        detail: event.detail,
        ip: event.ip,
        userAgent: event.userAgent,
        at: event.createdAt.toISOString(),
      })),
    });
  });

  app.post('/api/account/keys/options', binding, async (c) => {
    const session = c.get('session');
    requireRecent(session);
    const user = await loadUser(session);
    const existing = await activeCredentials(ctx.store.db, user.id);
    const { options, fields } = await keyRegistrationChallenge(ctx.keys, {
      username: user.username,
      exclude: existing.map((key) => ({
        credentialId: key.credentialId,
        transports: transportsOf(key),
      })),
    });
    const { token } = await beginAttempt(ctx.attempts, requestInfo(c), 'bind', {
      step: 'key',
      userId: user.id,
      ...fields,
    });
    return c.json({ attempt: token, options });
  });

  app.post('/api/account/keys', binding, async (c) => {
    const body = await readJsonBody(c, keyRegistrationBody);
    const session = c.get('session');
    requireRecent(session);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'bind', ['key']);
    if (attempt.userId !== session.userId) {
      throw new HttpError(401, 'attempt_expired', 'This request belongs to another session.');
    }
    const expectedChallenge = await requireChallenge(ctx.store, attempt);
    await deleteAttempt(ctx.store.db, attempt.idHash);
    const credential = await verifyNewKey(ctx.keys, body.response, expectedChallenge);
    const user = await loadUser(session);
    const info = requestInfo(c);
    const now = ctx.store.clock.now();
    const name = body.keyName || DEFAULT_KEY_NAME;
    await insertCredential(ctx.store.db, { userId: user.id, ...credential, name, now, ...info });
    await logSecurityEvent(ctx.store.db, {
      userId: user.id,
      type: 'key_bound',
      detail: name,
      now,
      ...info,
    });
    ctx.logger.info('security key bound', { userId: user.id });
    const upgraded = await afterBinding(c, session, user, info, now);
    return c.json({ bound: true, ...upgraded });
  });

  app.post('/api/account/totp/options', binding, async (c) => {
    const session = c.get('session');
    requireRecent(session);
    const user = await loadUser(session);
    if (await activeTotp(ctx.store.db, user.id)) {
      throw new HttpError(
        409,
        'totp_exists',
        'An authenticator app is already set up. Remove it first to set up another one.',
      );
    }
    const enrolment = beginTotpEnrolment(ctx.totp, user.username);
    const { token } = await beginAttempt(ctx.attempts, requestInfo(c), 'bind', {
      step: 'totp',
      userId: user.id,
      pendingData: JSON.stringify({ enrolling: { sealed: enrolment.sealed } }),
    });
    noStore(c);
    return c.json({ attempt: token, secret: enrolment.secret, uri: enrolment.uri });
  });

  app.post('/api/account/totp', binding, async (c) => {
    const body = await readJsonBody(c, totpBindBody);
    const session = c.get('session');
    requireRecent(session);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'bind', ['totp']);
    if (attempt.userId !== session.userId) {
      throw new HttpError(401, 'attempt_expired', 'This request belongs to another session.');
    }
    const sealed = (JSON.parse(attempt.pendingData ?? '{}') as { enrolling?: { sealed: string } })
      .enrolling?.sealed;
    if (!sealed) throw new HttpError(409, 'wrong_step', 'Start the set-up again.');
    const confirmed = confirmTotpEnrolment(ctx.totp, sealed, body.code);
    // A wrong code keeps the attempt (and the QR code): the user types the next code.
    if (!confirmed.ok) throw totpEnrolmentError();
    if (!(await deleteAttempt(ctx.store.db, attempt.idHash))) {
      throw new HttpError(401, 'attempt_expired', 'This set-up was already completed.');
    }
    const user = await loadUser(session);
    const info = requestInfo(c);
    const now = ctx.store.clock.now();
    if (await activeTotp(ctx.store.db, user.id)) {
      throw new HttpError(409, 'totp_exists', 'An authenticator app is already set up.');
    }
    await insertTotp(ctx.store.db, {
      userId: user.id,
      secretSealed: sealed,
      lastStep: confirmed.step,
      now,
      ...info,
    });
    await logSecurityEvent(ctx.store.db, {
      userId: user.id,
      type: 'totp_bound',
      detail: 'authenticator app',
      now,
      ...info,
    });
    ctx.logger.info('authenticator app bound', { userId: user.id });
    const upgraded = await afterBinding(c, session, user, info, now);
    return c.json({ bound: true, ...upgraded });
  });

  app.delete('/api/account/totp', full, async (c) => {
    const session = c.get('session');
    requireVeryRecent(session);
    const outcome = await removeFactor(
      ctx.store.db,
      session.userId,
      { kind: 'totp' },
      ctx.store.clock.now(),
    );
    if (outcome === 'not_found') {
      throw new HttpError(404, 'not_found', 'No authenticator app is set up.');
    }
    if (outcome === 'last_factor') throw lastFactorError();
    await logSecurityEvent(ctx.store.db, {
      userId: session.userId,
      type: 'totp_revoked',
      detail: 'authenticator app',
      now: ctx.store.clock.now(),
      ...requestInfo(c),
    });
    return c.body(null, 204);
  });

  app.post('/api/account/keys/:id/name', full, async (c) => {
    const { name } = await readJsonBody(c, renameBody);
    const session = c.get('session');
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id <= 0) throw new HttpError(404, 'not_found', 'No such key.');
    if (!(await renameCredential(ctx.store.db, session.userId, id, name))) {
      throw new HttpError(404, 'not_found', 'No such key.');
    }
    await logSecurityEvent(ctx.store.db, {
      userId: session.userId,
      type: 'key_renamed',
      detail: name,
      now: ctx.store.clock.now(),
      ...requestInfo(c),
    });
    return c.json({ id, name });
  });

  app.delete('/api/account/keys/:id', full, async (c) => {
    const session = c.get('session');
    requireVeryRecent(session);
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id <= 0) throw new HttpError(404, 'not_found', 'No such key.');
    const outcome = await removeFactor(
      ctx.store.db,
      session.userId,
      { kind: 'key', id },
      ctx.store.clock.now(),
    );
    if (outcome === 'not_found') throw new HttpError(404, 'not_found', 'No such key.');
    if (outcome === 'last_factor') throw lastFactorError();
    await logSecurityEvent(ctx.store.db, {
      userId: session.userId,
      type: 'key_revoked',
      detail: `key ${id}`,
      now: ctx.store.clock.now(),
      ...requestInfo(c),
    });
    return c.body(null, 204);
  });

  app.post('/api/account/recovery-codes', full, async (c) => {
    const session = c.get('session');
    requireRecent(session);
    const codes = await replaceCodes(
      session.userId,
      'regenerated',
      requestInfo(c),
      ctx.store.clock.now(),
    );
    noStore(c);
    return c.json({ recoveryCodes: codes });
  });

  app.post(
    '/api/account/password',
    requireSession(ctx.sessions, ['full', 'password_change']),
    async (c) => {
      const body = await readJsonBody(c, passwordBody);
      const session = c.get('session');
      const user = await loadUser(session);
      const info = requestInfo(c);
      await requireCurrentPassword(ctx, user, body.currentPassword, info, {
        factor: 'password (change)',
        message: 'Your current password is not right.',
      });
      const normalized = await requireNewPassword(ctx.passwords, body.newPassword, user.username);
      const now = ctx.store.clock.now();
      await setPasswordHash(ctx.store.db, user.id, await ctx.passwords.hasher.hash(normalized), {
        changedAt: now,
      });
      await logSecurityEvent(ctx.store.db, {
        userId: user.id,
        type: 'password_changed',
        now,
        ...info,
      });
      // Every other session ends; this one continues with a new id, and full rights.
      await endUserSessions(ctx.sessions, user.id, 'password changed');
      const { body: next } = await startSessionResponse(ctx.sessions, c, user, 'full');
      noStore(c);
      return c.json(next);
    },
  );

  return app;
}
