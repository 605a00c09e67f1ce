/**
 * Sign-up (NIST SP 800-63B §6.1.1): every factor bound in one flow, each step proving the
 * secret of the pending sign-up, and no user row until the last step: username and password
 * (after the CAPTCHA), then a security key or an authenticator app, then the recovery codes
 * shown once, and last the account with its factors in one transaction and a full session.
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { type AttemptRow, deleteAttempt, updateAttempt } from '../../db/attempt-store.js';
import { insertCredential } from '../../db/credential-store.js';
import { isDuplicateEntry } from '../../db/errors.js';
import { replaceRecoveryCodes } from '../../db/recovery-code-store.js';
import { logSecurityEvent } from '../../db/security-event-store.js';
import { insertTotp } from '../../db/totp-store.js';
import { findUserByKey, insertUser } from '../../db/user-store.js';
import {
  type AttemptGone,
  type ChallengeRefusal,
  findAttempt,
  type RequestInfo,
  useChallenge,
  type WrongStep,
} from '../attempts.js';
import type { AuthContexts } from '../auth-contexts.js';
import { type CaptchaRefusal, captchaRefusal, checkCaptcha } from '../captcha-check.js';
import { DEFAULT_KEY_NAME, type NewKeyRefusal, verifyNewKey } from '../key-factor.js';
import { acceptNewPassword, type WeakPassword } from '../password-check.js';
import { issueRecoveryCodes, type RecoveryCodeRecord } from '../recovery-code-factor.js';
import type { IssuedRecoveryCode } from '../recovery-codes.js';
import { type StartedSession, startSession } from '../sessions.js';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../totp-factor.js';
import { checkUsername } from '../username.js';
import { keyRegistrationChallenge } from '../webauthn-challenges.js';

export type SignupContext = Pick<
  AuthContexts,
  'store' | 'attempts' | 'passwords' | 'keys' | 'totp' | 'recoveryCodes' | 'sessions'
>;

/** What a pending sign-up holds between the second-factor step and the last step. */
interface PendingSignup {
  credential?: {
    id: string;
    publicKey: string;
    signCount: number;
    transports: string[];
    name: string;
    deviceType?: 'singleDevice' | 'multiDevice';
    backedUp?: boolean;
  };
  /** An authenticator app: its sealed secret and the step its confirming code used. */
  totp?: { sealed: string; lastStep: number };
  codes: RecoveryCodeRecord[];
}

/** An authenticator app being enrolled, before its first code confirmed it. */
interface PendingTotp {
  enrolling: { sealed: string };
}

type AttemptRefusal = AttemptGone | WrongStep;
type KeyOptions = Awaited<ReturnType<typeof keyRegistrationChallenge>>['options'];

async function signupAttempt(
  ctx: SignupContext,
  token: string,
  steps: readonly string[],
): Promise<{ kind: 'found'; attempt: AttemptRow } | AttemptRefusal> {
  return findAttempt(ctx.store, token, 'signup', steps);
}

async function newKeyOptions(ctx: SignupContext, idHash: string, username: string) {
  const { options, fields } = await keyRegistrationChallenge(ctx.keys, { username, exclude: [] });
  await updateAttempt(ctx.store.db, idHash, fields);
  return options;
}

export type CredentialsResult =
  | { kind: 'ok'; options: KeyOptions }
  | AttemptRefusal
  | { kind: 'invalid_username'; message: string }
  | WeakPassword
  | CaptchaRefusal
  | { kind: 'username_taken' };

/** The username and password (under the policy, after the CAPTCHA): then a key is asked. */
export async function chooseCredentials(
  ctx: SignupContext,
  input: { attempt: string; username: string; password: string; captcha?: string | undefined },
): Promise<CredentialsResult> {
  const found = await signupAttempt(ctx, input.attempt, ['password']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const name = checkUsername(input.username);
  if (!name.ok) return { kind: 'invalid_username', message: name.message };
  // The policy needs no secret: check it before the CAPTCHA is used up.
  const password = await acceptNewPassword(ctx.passwords, input.password, name.username);
  if (password.kind !== 'accepted') return password;
  const captcha = await checkCaptcha(ctx.store, attempt, input.captcha);
  if (captcha !== 'ok') return captchaRefusal(captcha);
  if (await findUserByKey(ctx.store.db, name.key)) return { kind: 'username_taken' };
  const passwordHash = await ctx.passwords.hasher.hash(password.normalized);
  await updateAttempt(ctx.store.db, attempt.idHash, {
    step: 'key',
    username: name.username,
    usernameKey: name.key,
    passwordHash,
  });
  return { kind: 'ok', options: await newKeyOptions(ctx, attempt.idHash, name.username) };
}

/** Fresh WebAuthn options for the key step (the previous challenge was used or expired). */
export async function renewKeyOptions(
  ctx: SignupContext,
  input: { attempt: string },
): Promise<{ kind: 'ok'; options: KeyOptions } | AttemptRefusal> {
  const found = await signupAttempt(ctx, input.attempt, ['key']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  return { kind: 'ok', options: await newKeyOptions(ctx, attempt.idHash, attempt.username ?? '') };
}

export type CodesIssued = { kind: 'ok'; recoveryCodes: IssuedRecoveryCode[] };

/** The new key's registration: kept on the attempt with new recovery codes, shown once. */
export async function registerKey(
  ctx: SignupContext,
  input: { attempt: string; response: RegistrationResponseJSON; keyName?: string | undefined },
): Promise<CodesIssued | AttemptRefusal | ChallengeRefusal | NewKeyRefusal> {
  const found = await signupAttempt(ctx, input.attempt, ['key']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const challenge = await useChallenge(ctx.store, attempt);
  if (challenge.kind !== 'challenge') return challenge;
  const key = await verifyNewKey(ctx.keys, input.response, challenge.challenge);
  if (key.kind !== 'key') return key;
  const { credential } = key;
  const { codes, records } = await issueRecoveryCodes(ctx.recoveryCodes);
  const pending: PendingSignup = {
    credential: {
      id: credential.credentialId,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      signCount: credential.signCount,
      transports: credential.transports,
      name: input.keyName || DEFAULT_KEY_NAME,
      deviceType: credential.deviceType,
      backedUp: credential.backedUp,
    },
    codes: records,
  };
  await updateAttempt(ctx.store.db, attempt.idHash, {
    step: 'codes',
    pendingData: JSON.stringify(pending),
  });
  return { kind: 'ok', recoveryCodes: codes };
}

/** Instead of a key, an authenticator app: a new secret, shown once, kept sealed on the attempt. */
export async function beginAppEnrolment(
  ctx: SignupContext,
  input: { attempt: string },
): Promise<{ kind: 'ok'; secret: string; uri: string } | AttemptRefusal> {
  const found = await signupAttempt(ctx, input.attempt, ['key']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const enrolment = beginTotpEnrolment(ctx.totp, attempt.username ?? '');
  const pending: PendingTotp = { enrolling: { sealed: enrolment.sealed } };
  await updateAttempt(ctx.store.db, attempt.idHash, { pendingData: JSON.stringify(pending) });
  return { kind: 'ok', secret: enrolment.secret, uri: enrolment.uri };
}

/** The enrolling app's first code: the app is kept on the attempt with new recovery codes. */
export async function confirmApp(
  ctx: SignupContext,
  input: { attempt: string; code: string },
): Promise<CodesIssued | AttemptRefusal | { kind: 'no_enrolment' } | { kind: 'totp_wrong' }> {
  const found = await signupAttempt(ctx, input.attempt, ['key']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const enrolling = (JSON.parse(attempt.pendingData ?? 'null') as PendingTotp | null)?.enrolling;
  if (!enrolling) return { kind: 'no_enrolment' };
  const confirmed = confirmTotpEnrolment(ctx.totp, enrolling.sealed, input.code);
  if (!confirmed.ok) return { kind: 'totp_wrong' };
  const { codes, records } = await issueRecoveryCodes(ctx.recoveryCodes);
  const pending: PendingSignup = {
    totp: { sealed: enrolling.sealed, lastStep: confirmed.step },
    codes: records,
  };
  await updateAttempt(ctx.store.db, attempt.idHash, {
    step: 'codes',
    pendingData: JSON.stringify(pending),
  });
  return { kind: 'ok', recoveryCodes: codes };
}

export type SignupFinish =
  | { kind: 'ok'; username: string; started: StartedSession }
  | AttemptRefusal
  | { kind: 'incomplete' }
  | { kind: 'already_completed' }
  | { kind: 'username_taken_meanwhile' };

/** Thrown inside the transaction to roll it back: another request completed this sign-up. */
class AlreadyCompleted extends Error {}

/** The user saved the codes: the account, its factors and codes in one transaction, a session. */
export async function finishSignup(
  ctx: SignupContext,
  input: { attempt: string },
  info: RequestInfo,
): Promise<SignupFinish> {
  const found = await signupAttempt(ctx, input.attempt, ['codes']);
  if (found.kind !== 'found') return found;
  const { attempt } = found;
  const pending = JSON.parse(attempt.pendingData ?? 'null') as PendingSignup | null;
  const factor = pending?.credential ?? pending?.totp;
  if (!pending || !factor || !attempt.username || !attempt.usernameKey || !attempt.passwordHash) {
    return { kind: 'incomplete' };
  }
  const { db, clock } = ctx.store;
  const now = clock.now();
  let userId: number;
  try {
    userId = await db.transaction(async (tx) => {
      // Deleting the attempt first makes the last step single use under parallel requests.
      if (!(await deleteAttempt(tx, attempt.idHash))) throw new AlreadyCompleted();
      const id = await insertUser(tx, {
        username: attempt.username ?? '',
        usernameKey: attempt.usernameKey ?? '',
        passwordHash: attempt.passwordHash ?? '',
        now,
      });
      const { credential, totp } = pending;
      if (credential) {
        await insertCredential(tx, {
          userId: id,
          credentialId: credential.id,
          publicKey: Buffer.from(credential.publicKey, 'base64url'),
          signCount: credential.signCount,
          transports: credential.transports,
          name: credential.name,
          ...(credential.deviceType ? { deviceType: credential.deviceType } : {}),
          ...(credential.backedUp !== undefined ? { backedUp: credential.backedUp } : {}),
          now,
          ...info,
        });
      }
      if (totp) {
        await insertTotp(tx, {
          userId: id,
          secretSealed: totp.sealed,
          lastStep: totp.lastStep,
          now,
          ...info,
        });
      }
      await replaceRecoveryCodes(tx, id, pending.codes, now);
      return id;
    });
  } catch (error) {
    if (error instanceof AlreadyCompleted) return { kind: 'already_completed' };
    if (isDuplicateEntry(error)) return { kind: 'username_taken_meanwhile' };
    throw error;
  }
  for (const [type, detail] of [
    ['account_created', undefined],
    pending.credential
      ? (['key_bound', pending.credential.name] as const)
      : (['totp_bound', 'authenticator app'] as const),
    ['recovery_codes_issued', `${pending.codes.length} codes`],
    ['sign_in', 'sign-up'],
  ] as const) {
    await logSecurityEvent(db, { userId, type, detail, now, ...info });
  }
  const started = await startSession(ctx.sessions, { userId, kind: 'full', ...info });
  return { kind: 'ok', username: attempt.username, started };
}
