/**
 * Pieces the sign-up, sign-in, unlock and account routes share: request bodies, the pending
 * attempt each step proves, the CAPTCHA check, issuing recovery codes and starting a session.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'hono';
import { z } from 'zod';
import { reserveTry, settleFailure, settleSuccess } from '../auth/account-failures.js';
import type { AuthRuntime } from '../auth/auth-runtime.js';
import type { CaptchaVerdict } from '../auth/captcha-verdict.js';
import { checkPassword, normalizePassword } from '../auth/password-policy.js';
import { generateRecoveryCodes, type IssuedRecoveryCode } from '../auth/recovery-codes.js';
import { hashToken, isWellFormedToken, newSecretToken } from '../auth/secret-token.js';
import type { SessionKind } from '../auth/session-policy.js';
import { type StartedSession, startSession } from '../auth/sessions.js';
import { type NewCredential, verifyRegistration } from '../auth/webauthn.js';
import { captchaAnswersMatch } from '../captcha/index.js';
import {
  type AttemptKind,
  type AttemptRow,
  deleteExpiredAttempts,
  findLiveAttempt,
  insertAttempt,
  takeCaptcha,
  takeChallenge,
} from '../db/attempt-store.js';
import { credentialExists } from '../db/credential-store.js';
import { deleteSessionsOlderThan } from '../db/session-store.js';
import type { UserRow } from '../db/user-store.js';
import { HttpError } from '../http/errors.js';
import { writeSessionCookie } from '../http/session-cookie.js';
import { readJsonBody } from '../http/validation.js';

export const attemptTokenSchema = z.string().max(64);
export const passwordSchema = z.string().min(1).max(4096);
export const usernameSchema = z.string().max(64);
const captchaAnswerSchema = z.string().max(32).optional();
const b64 = z.string().max(16_384);

/** An authenticator-app code as typed (6 digits; spaces forgiven). */
export const totpCodeSchema = z.string().max(16);

/** The body of a step that only proves the pending attempt. */
export const attemptBody = z.object({ attempt: attemptTokenSchema }).strict();

/** The password step of sign-up and sign-in: username, password and, when asked, the CAPTCHA. */
export const credentialsBody = z
  .object({
    attempt: attemptTokenSchema,
    username: usernameSchema,
    password: passwordSchema,
    captcha: captchaAnswerSchema,
  })
  .strict();

/** A WebAuthn credential as the browser serialises it, with the ceremony's own response fields. */
const publicKeyCredentialSchema = <R extends z.ZodRawShape>(response: R) =>
  z
    .object({
      id: z.string().max(1400),
      rawId: z.string().max(1400),
      type: z.literal('public-key'),
      response: z.object({ clientDataJSON: b64, ...response }).passthrough(),
      clientExtensionResults: z.record(z.string(), z.unknown()),
      authenticatorAttachment: z.string().max(32).optional(),
    })
    .passthrough();

const registrationResponseSchema = publicKeyCredentialSchema({
  attestationObject: b64,
  transports: z.array(z.string().max(32)).max(10).optional(),
});

export const authenticationResponseSchema = publicKeyCredentialSchema({
  authenticatorData: b64,
  signature: b64,
  userHandle: z.string().max(1024).optional(),
});

/** The step that registers a new security key: the attempt, the key's answer, a name for it. */
export const keyRegistrationBody = z
  .object({
    attempt: attemptTokenSchema,
    response: registrationResponseSchema,
    keyName: z.string().trim().max(64).optional(),
  })
  .strict();

export const DEFAULT_KEY_NAME = 'Security key';

const asRegistrationResponse = (value: z.output<typeof registrationResponseSchema>) =>
  value as unknown as RegistrationResponseJSON;
export const asAuthenticationResponse = (value: z.output<typeof authenticationResponseSchema>) =>
  value as unknown as AuthenticationResponseJSON;

export interface RequestInfo {
  ip: string;
  userAgent: string;
}

export function requestInfo(c: Context): RequestInfo {
  return {
    ip: (c.get('clientIp') as string | undefined) ?? 'unknown',
    userAgent: (c.req.header('user-agent') ?? '').slice(0, 255),
  };
}

/** Begins a pending sign-up, sign-in, unlock or key binding; returns its secret. */
export async function beginAttempt(
  rt: AuthRuntime,
  c: Context,
  kind: AttemptKind,
  fields: Partial<AttemptRow> = {},
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecretToken(rt.random);
  const now = rt.clock.now();
  const expiresAt = new Date(now.getTime() + rt.settings.attemptTtlMs);
  const info = requestInfo(c);
  // Housekeeping: abandoned attempts and ended sessions go when a new attempt begins.
  await deleteExpiredAttempts(rt.db, now);
  await deleteSessionsOlderThan(
    rt.db,
    new Date(now.getTime() - rt.settings.sessionIdleMs),
    new Date(now.getTime() - rt.settings.sessionAbsoluteMs),
  );
  await insertAttempt(rt.db, {
    idHash: hashToken(token),
    kind,
    step: 'start',
    userId: null,
    username: null,
    usernameKey: null,
    passwordHash: null,
    challenge: null,
    challengeExpiresAt: null,
    captchaHash: null,
    captchaExpiresAt: null,
    recoveryCodeNumber: null,
    pendingData: null,
    ip: info.ip,
    userAgent: info.userAgent,
    createdAt: now,
    expiresAt,
    ...fields,
  });
  return { token, expiresAt };
}

/** POST /api/<flow>/start: an empty body in, a new pending attempt's token out (never cached). */
export function startAttemptHandler(
  rt: AuthRuntime,
  kind: AttemptKind,
  fields: Partial<AttemptRow>,
) {
  return async (c: Context) => {
    await readJsonBody(c, z.object({}).strict());
    const { token, expiresAt } = await beginAttempt(rt, c, kind, fields);
    noStore(c);
    return c.json({ attempt: token, expiresAt: expiresAt.toISOString() });
  };
}

export const ATTEMPT_GONE_MESSAGE =
  'This attempt expired or was already used. Start again from the beginning.';

/** The live attempt a step names, in one of the expected steps; 401 otherwise. */
export async function requireAttempt(
  rt: AuthRuntime,
  token: string,
  kind: AttemptKind,
  steps: readonly string[],
): Promise<AttemptRow> {
  const row = isWellFormedToken(token)
    ? await findLiveAttempt(rt.db, hashToken(token), [kind], rt.clock.now())
    : undefined;
  if (!row) throw new HttpError(401, 'attempt_expired', ATTEMPT_GONE_MESSAGE);
  if (!steps.includes(row.step)) {
    throw new HttpError(409, 'wrong_step', 'This step is not expected now. Start again.');
  }
  return row;
}

/** Compares an answer with the attempt's CAPTCHA, which is used up whatever the answer. */
export async function checkCaptcha(
  rt: AuthRuntime,
  attempt: AttemptRow,
  answer: string | undefined,
): Promise<CaptchaVerdict> {
  if (!attempt.captchaHash || !attempt.captchaExpiresAt) return 'missing';
  if (answer === undefined || answer.trim() === '') return 'missing';
  const taken = await takeCaptcha(rt.db, attempt.idHash, attempt.captchaHash);
  if (!taken) return 'missing';
  if (attempt.captchaExpiresAt.getTime() <= rt.clock.now().getTime()) return 'expired';
  return captchaAnswersMatch(Buffer.from(attempt.captchaHash, 'hex'), answer) ? 'ok' : 'wrong';
}

export function captchaError(verdict: Exclude<CaptchaVerdict, 'ok'>): HttpError {
  if (verdict === 'wrong') {
    return new HttpError(
      400,
      'captcha_wrong',
      'The characters you typed do not match the picture. Here is a new picture: try again.',
    );
  }
  if (verdict === 'expired') {
    return new HttpError(
      400,
      'captcha_expired',
      'The picture expired. Type the characters of the new one.',
    );
  }
  return new HttpError(400, 'captcha_required', 'Type the characters shown in the picture.');
}

/** Ten new codes and their records (the codes themselves are only ever returned once). */
export async function issueRecoveryCodes(
  rt: AuthRuntime,
): Promise<{ codes: IssuedRecoveryCode[]; records: { number: number; codeHash: string }[] }> {
  const codes = generateRecoveryCodes(rt.random);
  const records = await Promise.all(
    codes.map(async ({ number, code }) => ({
      number,
      codeHash: await rt.recoveryCodeHasher.hash(code.replace(/-/g, '')),
    })),
  );
  return { codes, records };
}

/** Starts a session for the user, sets its cookie, and says what the page needs. */
export async function startSessionResponse(
  rt: AuthRuntime,
  c: Context,
  user: { id: number; username: string },
  kind: SessionKind,
  authenticatedAt?: Date,
): Promise<{ started: StartedSession; body: SessionBody }> {
  const started = await startSession(rt, {
    userId: user.id,
    kind,
    ...requestInfo(c),
    ...(authenticatedAt ? { authenticatedAt } : {}),
  });
  writeSessionCookie(c, started.token);
  return { started, body: sessionBody(user.username, started.session) };
}

export interface SessionBody {
  username: string;
  kind: SessionKind;
  csrfToken: string;
  endsAt: string;
}

export function sessionBody(
  username: string,
  session: { kind: SessionKind; csrfToken: string; endsAt: Date },
): SessionBody {
  return {
    username,
    kind: session.kind,
    csrfToken: session.csrfToken,
    endsAt: session.endsAt.toISOString(),
  };
}

export function noStore(c: Context): void {
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
}

/**
 * A new password under the policy (§5.1.1.2): the offline blocklist always, the online breach
 * check when turned on (its failure falls back to the offline answer). 400 with the reason.
 */
export async function acceptNewPassword(
  rt: AuthRuntime,
  password: string,
  username: string,
): Promise<string> {
  const verdict = checkPassword(
    password,
    { username, contextWords: rt.contextWords },
    rt.breachCorpus,
  );
  if (!verdict.ok) {
    throw new HttpError(400, 'weak_password', verdict.message, { reason: verdict.code });
  }
  if (rt.pwnedPasswords && (await rt.pwnedPasswords.check(verdict.normalized)) === 'breached') {
    throw new HttpError(
      400,
      'weak_password',
      'This password appears in known data breaches, so attackers try it early. Choose another one.',
      { reason: 'breached' },
    );
  }
  return verdict.normalized;
}

/** An enrolling app's code that does not match: the same QR code stays; try the next code. */
export function totpEnrolmentError(): HttpError {
  return new HttpError(
    400,
    'totp_wrong',
    'That code does not match. Check that the app shows Parley, that your device’s clock is right, and type the current 6-digit code.',
  );
}

export const ACCOUNT_LOCKED_MESSAGE =
  'This account is locked after too many failed attempts. Unlock it with your security key and a recovery code.';

/**
 * A signed-in user's password, weighed as at sign-in (§5.2.2): after the account's growing
 * delay, refused while the account is locked, and a wrong one counted as a failed factor.
 * For the reauthentication and the password change, so neither is a cheaper guessing route.
 */
export async function checkCurrentPassword(
  rt: AuthRuntime,
  user: UserRow,
  password: string,
  info: RequestInfo,
  failure: { factor: string; message: string },
): Promise<void> {
  const reservation = await reserveTry(rt, { user, usernameKey: user.usernameKey }, info.ip, {
    captcha: 'not_asked',
    paced: true,
  });
  if (reservation.kind !== 'reserved') {
    throw new HttpError(423, 'account_locked', ACCOUNT_LOCKED_MESSAGE);
  }
  await rt.sleep(reservation.ticket.waitMs);
  const verdict = await rt.passwordHasher.verify(normalizePassword(password), user.passwordHash);
  if (!verdict.ok) {
    await settleFailure(rt, reservation.ticket, info, failure.factor);
    throw new HttpError(401, 'reauth_failed', failure.message);
  }
  await settleSuccess(rt, reservation.ticket);
}

/**
 * A new security key's registration answer, verified against the attempt's challenge: 400 when
 * it does not verify, 409 when the key is already bound to an account.
 */
export async function verifyNewKey(
  rt: AuthRuntime,
  response: z.output<typeof registrationResponseSchema>,
  expectedChallenge: string,
): Promise<NewCredential> {
  const result = await verifyRegistration({
    rp: rt.rp,
    response: asRegistrationResponse(response),
    expectedChallenge,
  });
  if (!result.ok) {
    rt.logger.info('security key rejected', { reason: result.reason });
    throw new HttpError(
      400,
      'key_rejected',
      'The security key’s answer could not be verified. Try again with your key.',
    );
  }
  const synced = result.credential.deviceType === 'multiDevice' || result.credential.backedUp;
  if (synced && !rt.settings.syncedPasskeys) {
    throw new HttpError(
      400,
      'synced_key_refused',
      'This passkey can be synced to other devices (for example by a password manager), which this server does not accept. Use a security key, a passkey kept on this device only, or an authenticator app.',
    );
  }
  if (await credentialExists(rt.db, result.credential.credentialId)) {
    throw new HttpError(
      409,
      'key_already_registered',
      'This security key is already registered to an account. Use another key.',
    );
  }
  return result.credential;
}

/** Takes the attempt's challenge (single use) or fails when there is none or it expired. */
export async function useChallenge(rt: AuthRuntime, attempt: AttemptRow): Promise<string> {
  const { challenge, challengeExpiresAt } = attempt;
  const taken = challenge ? await takeChallenge(rt.db, attempt.idHash, challenge) : false;
  if (!challenge || !taken || !challengeExpiresAt) {
    throw new HttpError(
      400,
      'challenge_used',
      'Ask the key again: the previous request was used up.',
    );
  }
  if (challengeExpiresAt.getTime() <= rt.clock.now().getTime()) {
    throw new HttpError(400, 'challenge_expired', 'The security key took too long. Try again.');
  }
  return challenge;
}
