/**
 * The signed-in account: its overview, binding another key or an authenticator app, removing
 * and renaming factors, new recovery codes and the password change. Each function takes the
 * caller's session and returns a tagged result; the routes check the session's kind.
 *
 * Binding a factor and new codes need an authentication in the last 15 minutes (§6.1.2.1),
 * removing one in the last 5; otherwise `reauth_required` (or, for a recovery sign-in that is
 * no longer recent, `recovery_expired`). The last factor (key or app) cannot be removed.
 */

import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AccountOverviewAnswer } from '../../../contract/answers.js';
import { deleteAttempt } from '../../db/attempt-store.js';
import {
  activeCredentials,
  allCredentials,
  insertCredential,
  renameCredential,
  transportsOf,
} from '../../db/credential-store.js';
import { removeFactor } from '../../db/factor-removal.js';
import { replaceRecoveryCodes, unusedCodeNumbers } from '../../db/recovery-code-store.js';
import { logSecurityEvent, recentSecurityEvents } from '../../db/security-event-store.js';
import { activeTotp, insertTotp, replaceTotp } from '../../db/totp-store.js';
import { findUserById, setPasswordHash, type UserRow } from '../../db/user-store.js';
import type { AccountLocked } from '../account-failures.js';
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
import { DEFAULT_KEY_NAME, type NewKeyRefusal, verifyNewKey } from '../key-factor.js';
import { acceptNewPassword, checkCurrentPassword, type WeakPassword } from '../password-check.js';
import { issueRecoveryCodes } from '../recovery-code-factor.js';
import type { IssuedRecoveryCode } from '../recovery-codes.js';
import { recentlyAuthenticated } from '../session-policy.js';
import {
  type ActiveSession,
  endSessions,
  endUserSessions,
  type StartedSession,
  startSession,
} from '../sessions.js';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../totp-factor.js';
import { keyRegistrationChallenge } from '../webauthn-challenges.js';

export type AccountContext = Pick<
  AuthContexts,
  | 'store'
  | 'logger'
  | 'attempts'
  | 'sessions'
  | 'failures'
  | 'passwords'
  | 'recoveryCodes'
  | 'keys'
  | 'totp'
>;

/** The session's user is gone. */
export type NotSignedIn = { kind: 'not_signed_in' };
/** Not recent enough: a full session confirms the password; a recovery one signs in again. */
export type NotRecent = { kind: 'reauth_required' } | { kind: 'recovery_expired' };
/** The bind attempt belongs to another session's user. */
export type OtherSession = { kind: 'other_session' };

type AttemptRefusal = AttemptGone | WrongStep;

async function loadUser(ctx: AccountContext, session: ActiveSession): Promise<UserRow | undefined> {
  return findUserById(ctx.store.db, session.userId);
}

/**
 * §6.1.2.1: binding needs a recent authentication. A full session confirms the password again;
 * a recovery (rebind) session was made by its sign-in alone, so once that is no longer recent
 * the user signs in again with a recovery code.
 */
function notRecent(ctx: AccountContext, session: ActiveSession): NotRecent | undefined {
  if (recentlyAuthenticated(session, ctx.sessions.limits, ctx.store.clock.now())) return undefined;
  return session.kind === 'rebind' ? { kind: 'recovery_expired' } : { kind: 'reauth_required' };
}

/** Removing a factor: an authentication in the last few minutes, not just the last 15. */
function notVeryRecent(ctx: AccountContext, session: ActiveSession): NotRecent | undefined {
  const age = ctx.store.clock.now().getTime() - session.authenticatedAt.getTime();
  return age < ctx.sessions.limits.removeFactorAuthMs ? undefined : { kind: 'reauth_required' };
}

/** A new set of ten codes replaces the old one (which stops working at once), logged. */
async function replaceCodes(
  ctx: AccountContext,
  userId: number,
  detail: string,
  info: RequestInfo,
  now: Date,
): Promise<IssuedRecoveryCode[]> {
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
}

/** A factor bound in a recovery session: new codes and a full session with a new id. */
export interface Upgraded {
  recoveryCodes: IssuedRecoveryCode[];
  username: string;
  started: StartedSession;
}

/** After binding in a recovery (rebind) session the old codes (one used) go; null otherwise. */
async function afterBinding(
  ctx: AccountContext,
  session: ActiveSession,
  user: UserRow,
  info: RequestInfo,
  now: Date,
): Promise<Upgraded | null> {
  if (session.kind !== 'rebind') return null;
  const codes = await replaceCodes(ctx, user.id, 'after a lost key', info, now);
  await endSessions(ctx.sessions, [session.idHash], 'session upgraded');
  const started = await startSession(ctx.sessions, {
    userId: user.id,
    kind: 'full',
    ...info,
    authenticatedAt: session.authenticatedAt,
  });
  return { recoveryCodes: codes, username: user.username, started };
}

export type Bound = { kind: 'ok'; upgraded: Upgraded | null };

/** What the account page shows: keys (revoked ones too), the app, codes left, the log. */
export async function accountOverview(ctx: AccountContext, session: ActiveSession) {
  const { db } = ctx.store;
  const user = await loadUser(ctx, session);
  if (!user) return { kind: 'not_signed_in' } as const;
  const [keys, codes, events, totp] = await Promise.all([
    allCredentials(db, user.id),
    unusedCodeNumbers(db, user.id),
    recentSecurityEvents(db, user.id),
    activeTotp(db, user.id),
  ]);
  return {
    kind: 'ok',
    view: {
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
    } satisfies AccountOverviewAnswer,
  } as const;
}

/** Options to register another key (excluding the user's own), kept on a new bind attempt. */
export async function beginKeyBinding(
  ctx: AccountContext,
  session: ActiveSession,
  info: RequestInfo,
): Promise<
  | {
      kind: 'ok';
      attempt: string;
      options: Awaited<ReturnType<typeof keyRegistrationChallenge>>['options'];
    }
  | NotRecent
  | NotSignedIn
> {
  const stale = notRecent(ctx, session);
  if (stale) return stale;
  const user = await loadUser(ctx, session);
  if (!user) return { kind: 'not_signed_in' };
  const existing = await activeCredentials(ctx.store.db, user.id);
  const { options, fields } = await keyRegistrationChallenge(ctx.keys, {
    username: user.username,
    exclude: existing.map((key) => ({
      credentialId: key.credentialId,
      transports: transportsOf(key),
    })),
  });
  const { token } = await beginAttempt(ctx.attempts, info, 'bind', {
    step: 'key',
    userId: user.id,
    ...fields,
  });
  return { kind: 'ok', attempt: token, options };
}

/** The new key's registration: bound and logged (in a recovery session, then upgraded). */
export async function bindKey(
  ctx: AccountContext,
  session: ActiveSession,
  input: { attempt: string; response: RegistrationResponseJSON; keyName?: string | undefined },
  info: RequestInfo,
): Promise<
  Bound | NotRecent | AttemptRefusal | OtherSession | ChallengeRefusal | NewKeyRefusal | NotSignedIn
> {
  const { db, clock } = ctx.store;
  const stale = notRecent(ctx, session);
  if (stale) return stale;
  const found = await findAttempt(ctx.store, input.attempt, 'bind', ['key']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  if (attempt.userId !== session.userId) return { kind: 'other_session' };
  const challenge = await useChallenge(ctx.store, attempt);
  if (challenge.kind !== 'challenge') return challenge;
  await deleteAttempt(db, attempt.idHash);
  const key = await verifyNewKey(ctx.keys, input.response, challenge.challenge);
  if (key.kind !== 'key') return key;
  const user = await loadUser(ctx, session);
  if (!user) return { kind: 'not_signed_in' };
  const now = clock.now();
  const name = input.keyName || DEFAULT_KEY_NAME;
  await insertCredential(db, { userId: user.id, ...key.credential, name, now, ...info });
  await logSecurityEvent(db, { userId: user.id, type: 'key_bound', detail: name, now, ...info });
  ctx.logger.info('security key bound', { userId: user.id });
  return { kind: 'ok', upgraded: await afterBinding(ctx, session, user, info, now) };
}

/** An app is already set up: remove it first. */
export type AppExists = { kind: 'totp_exists' };

/** A new app secret, shown once, kept sealed on a new bind attempt. */
export async function beginAppBinding(
  ctx: AccountContext,
  session: ActiveSession,
  info: RequestInfo,
): Promise<
  { kind: 'ok'; attempt: string; secret: string; uri: string } | NotRecent | NotSignedIn | AppExists
> {
  const stale = notRecent(ctx, session);
  if (stale) return stale;
  const user = await loadUser(ctx, session);
  if (!user) return { kind: 'not_signed_in' };
  // After a recovery-code sign-in the new app replaces the lost one (bound at the first code).
  if (session.kind !== 'rebind' && (await activeTotp(ctx.store.db, user.id))) {
    return { kind: 'totp_exists' };
  }
  const enrolment = beginTotpEnrolment(ctx.totp, user.username);
  const { token } = await beginAttempt(ctx.attempts, info, 'bind', {
    step: 'totp',
    userId: user.id,
    pendingData: JSON.stringify({ enrolling: { sealed: enrolment.sealed } }),
  });
  return { kind: 'ok', attempt: token, secret: enrolment.secret, uri: enrolment.uri };
}

/** The enrolling app's first code: bound and logged (in a recovery session, then upgraded). */
export async function bindApp(
  ctx: AccountContext,
  session: ActiveSession,
  input: { attempt: string; code: string },
  info: RequestInfo,
): Promise<
  | Bound
  | NotRecent
  | AttemptRefusal
  | OtherSession
  | NotSignedIn
  | { kind: 'no_enrolment' }
  | { kind: 'totp_wrong' }
  | { kind: 'already_completed' }
  | { kind: 'totp_exists_now' }
> {
  const { db, clock } = ctx.store;
  const stale = notRecent(ctx, session);
  if (stale) return stale;
  const found = await findAttempt(ctx.store, input.attempt, 'bind', ['totp']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  if (attempt.userId !== session.userId) return { kind: 'other_session' };
  const sealed = (JSON.parse(attempt.pendingData ?? '{}') as { enrolling?: { sealed: string } })
    .enrolling?.sealed;
  if (!sealed) return { kind: 'no_enrolment' };
  const confirmed = confirmTotpEnrolment(ctx.totp, sealed, input.code);
  // A wrong code keeps the attempt (and the QR code): the user types the next code.
  if (!confirmed.ok) return { kind: 'totp_wrong' };
  if (!(await deleteAttempt(db, attempt.idHash))) return { kind: 'already_completed' };
  const user = await loadUser(ctx, session);
  if (!user) return { kind: 'not_signed_in' };
  const now = clock.now();
  const row = { userId: user.id, secretSealed: sealed, lastStep: confirmed.step, now, ...info };
  if (session.kind === 'rebind') {
    if (await replaceTotp(db, row)) {
      await logSecurityEvent(db, {
        userId: user.id,
        type: 'totp_revoked',
        detail: 'authenticator app replaced after a recovery-code sign-in',
        now,
        ...info,
      });
    }
  } else {
    if (await activeTotp(db, user.id)) return { kind: 'totp_exists_now' };
    await insertTotp(db, row);
  }
  await logSecurityEvent(db, {
    userId: user.id,
    type: 'totp_bound',
    detail: 'authenticator app',
    now,
    ...info,
  });
  ctx.logger.info('authenticator app bound', { userId: user.id });
  return { kind: 'ok', upgraded: await afterBinding(ctx, session, user, info, now) };
}

/** The key named is not there (or not the user's). */
export type NoSuchKey = { kind: 'no_such_key' };
/** There is no authenticator app to remove. */
export type NoApp = { kind: 'no_app' };
/** The only second factor left. */
export type LastFactor = { kind: 'last_factor' };

const validKeyId = (id: number) => Number.isSafeInteger(id) && id > 0;

export async function removeApp(
  ctx: AccountContext,
  session: ActiveSession,
  info: RequestInfo,
): Promise<{ kind: 'ok' } | NotRecent | NoApp | LastFactor> {
  const stale = notVeryRecent(ctx, session);
  if (stale) return stale;
  const { db, clock } = ctx.store;
  const outcome = await removeFactor(db, session.userId, { kind: 'totp' }, clock.now());
  if (outcome === 'not_found') return { kind: 'no_app' };
  if (outcome === 'last_factor') return { kind: 'last_factor' };
  await logSecurityEvent(db, {
    userId: session.userId,
    type: 'totp_revoked',
    detail: 'authenticator app',
    now: clock.now(),
    ...info,
  });
  return { kind: 'ok' };
}

export async function renameKey(
  ctx: AccountContext,
  session: ActiveSession,
  input: { id: number; name: string },
  info: RequestInfo,
): Promise<{ kind: 'ok' } | NoSuchKey> {
  const { db, clock } = ctx.store;
  if (!validKeyId(input.id)) return { kind: 'no_such_key' };
  if (!(await renameCredential(db, session.userId, input.id, input.name))) {
    return { kind: 'no_such_key' };
  }
  await logSecurityEvent(db, {
    userId: session.userId,
    type: 'key_renamed',
    detail: input.name,
    now: clock.now(),
    ...info,
  });
  return { kind: 'ok' };
}

export async function removeKey(
  ctx: AccountContext,
  session: ActiveSession,
  id: number,
  info: RequestInfo,
): Promise<{ kind: 'ok' } | NotRecent | NoSuchKey | LastFactor> {
  const stale = notVeryRecent(ctx, session);
  if (stale) return stale;
  if (!validKeyId(id)) return { kind: 'no_such_key' };
  const { db, clock } = ctx.store;
  const outcome = await removeFactor(db, session.userId, { kind: 'key', id }, clock.now());
  if (outcome === 'not_found') return { kind: 'no_such_key' };
  if (outcome === 'last_factor') return { kind: 'last_factor' };
  await logSecurityEvent(db, {
    userId: session.userId,
    type: 'key_revoked',
    detail: `key ${id}`,
    now: clock.now(),
    ...info,
  });
  return { kind: 'ok' };
}

/** Ten new codes, once; the old ones stop working. */
export async function newRecoveryCodes(
  ctx: AccountContext,
  session: ActiveSession,
  info: RequestInfo,
): Promise<{ kind: 'ok'; recoveryCodes: IssuedRecoveryCode[] } | NotRecent> {
  const stale = notRecent(ctx, session);
  if (stale) return stale;
  const codes = await replaceCodes(ctx, session.userId, 'regenerated', info, ctx.store.clock.now());
  return { kind: 'ok', recoveryCodes: codes };
}

/**
 * The current password (weighed as at sign-in), then a new one under the policy: every other
 * session ends, and this one continues with a new id and full rights.
 */
export async function changePassword(
  ctx: AccountContext,
  session: ActiveSession,
  input: { currentPassword: string; newPassword: string },
  info: RequestInfo,
): Promise<
  | { kind: 'ok'; username: string; started: StartedSession }
  | NotSignedIn
  | AccountLocked
  | { kind: 'current_password_wrong' }
  | WeakPassword
> {
  const { db, clock } = ctx.store;
  const user = await loadUser(ctx, session);
  if (!user) return { kind: 'not_signed_in' };
  const current = await checkCurrentPassword(
    ctx,
    user,
    input.currentPassword,
    info,
    'password (change)',
  );
  if (current === 'account_locked') return { kind: 'account_locked' };
  if (current === 'wrong') return { kind: 'current_password_wrong' };
  const next = await acceptNewPassword(ctx.passwords, input.newPassword, user.username);
  if (next.kind !== 'accepted') return next;
  const now = clock.now();
  await setPasswordHash(db, user.id, await ctx.passwords.hasher.hash(next.normalized), {
    changedAt: now,
  });
  await logSecurityEvent(db, { userId: user.id, type: 'password_changed', now, ...info });
  // Every other session ends; this one continues with a new id, and full rights.
  await endUserSessions(ctx.sessions, user.id, 'password changed');
  const started = await startSession(ctx.sessions, { userId: user.id, kind: 'full', ...info });
  return { kind: 'ok', username: user.username, started };
}
