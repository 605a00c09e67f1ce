/**
 * Sign-up (NIST SP 800-63B §6.1.1): every factor bound in one flow, each step proving the
 * secret of the pending sign-up, and no user row until the last step.
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
import type { AuthContexts } from '../auth/auth-contexts.js';
import { captchaRefusal, checkCaptcha } from '../auth/captcha-check.js';
import { issueRecoveryCodes } from '../auth/recovery-code-factor.js';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../auth/totp-factor.js';
import { checkUsername } from '../auth/username.js';
import { keyRegistrationChallenge } from '../auth/webauthn-challenges.js';
import { deleteAttempt, updateAttempt } from '../db/attempt-store.js';
import { insertCredential } from '../db/credential-store.js';
import { isDuplicateEntry } from '../db/errors.js';
import { replaceRecoveryCodes } from '../db/recovery-code-store.js';
import { logSecurityEvent } from '../db/security-event-store.js';
import { insertTotp } from '../db/totp-store.js';
import { findUserByKey, insertUser } from '../db/user-store.js';
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
  attemptBody,
  attemptTokenSchema,
  credentialsBody,
  DEFAULT_KEY_NAME,
  keyRegistrationBody,
  totpCodeSchema,
} from './auth/bodies.js';
import { verifyNewKey } from './auth/new-key.js';
import { requireNewPassword } from './auth/password-check.js';
import { refusalError, totpEnrolmentError } from './auth/refusals.js';
import { startSessionResponse } from './auth/session-response.js';

const finishBody = z.object({ attempt: attemptTokenSchema, savedCodes: z.literal(true) }).strict();

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
  codes: { number: number; codeHash: string }[];
}

/** An authenticator app being enrolled, before its first code confirmed it. */
interface PendingTotp {
  enrolling: { sealed: string };
}

const totpCodeBody = z.object({ attempt: attemptTokenSchema, code: totpCodeSchema }).strict();

export function signupRoutes(ctx: AuthContexts) {
  const app = new Hono();

  app.post('/api/signup/start', startAttemptHandler(ctx.attempts, 'signup', { step: 'password' }));

  app.post('/api/signup/password', async (c) => {
    const body = await readJsonBody(c, credentialsBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signup', ['password']);
    const name = checkUsername(body.username);
    if (!name.ok) throw new HttpError(400, 'invalid_username', name.message);
    // The policy needs no secret: check it before the CAPTCHA is used up.
    const normalized = await requireNewPassword(ctx.passwords, body.password, name.username);
    const captcha = await checkCaptcha(ctx.store, attempt, body.captcha);
    if (captcha !== 'ok') throw refusalError(captchaRefusal(captcha));
    if (await findUserByKey(ctx.store.db, name.key)) {
      throw new HttpError(409, 'username_taken', 'This username is taken. Choose another one.');
    }
    const passwordHash = await ctx.passwords.hasher.hash(normalized);
    await updateAttempt(ctx.store.db, attempt.idHash, {
      step: 'key',
      username: name.username,
      usernameKey: name.key,
      passwordHash,
    });
    return c.json({ options: await newKeyOptions(ctx, attempt.idHash, name.username) });
  });

  app.post('/api/signup/key/options', async (c) => {
    const body = await readJsonBody(c, attemptBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signup', ['key']);
    return c.json({ options: await newKeyOptions(ctx, attempt.idHash, attempt.username ?? '') });
  });

  app.post('/api/signup/key', async (c) => {
    const body = await readJsonBody(c, keyRegistrationBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signup', ['key']);
    const expectedChallenge = await requireChallenge(ctx.store, attempt);
    const credential = await verifyNewKey(ctx.keys, body.response, expectedChallenge);
    const { codes, records } = await issueRecoveryCodes(ctx.recoveryCodes);
    const pending: PendingSignup = {
      credential: {
        id: credential.credentialId,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        signCount: credential.signCount,
        transports: credential.transports,
        name: body.keyName || DEFAULT_KEY_NAME,
        deviceType: credential.deviceType,
        backedUp: credential.backedUp,
      },
      codes: records,
    };
    await updateAttempt(ctx.store.db, attempt.idHash, {
      step: 'codes',
      pendingData: JSON.stringify(pending),
    });
    noStore(c);
    return c.json({ recoveryCodes: codes });
  });

  app.post('/api/signup/totp/options', async (c) => {
    const body = await readJsonBody(c, attemptBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signup', ['key']);
    const enrolment = beginTotpEnrolment(ctx.totp, attempt.username ?? '');
    const pending: PendingTotp = { enrolling: { sealed: enrolment.sealed } };
    await updateAttempt(ctx.store.db, attempt.idHash, { pendingData: JSON.stringify(pending) });
    noStore(c);
    return c.json({ secret: enrolment.secret, uri: enrolment.uri });
  });

  app.post('/api/signup/totp', async (c) => {
    const body = await readJsonBody(c, totpCodeBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signup', ['key']);
    const enrolling = (JSON.parse(attempt.pendingData ?? 'null') as PendingTotp | null)?.enrolling;
    if (!enrolling) {
      throw new HttpError(409, 'wrong_step', 'Ask for a new QR code first, then type its code.');
    }
    const confirmed = confirmTotpEnrolment(ctx.totp, enrolling.sealed, body.code);
    if (!confirmed.ok) throw totpEnrolmentError();
    const { codes, records } = await issueRecoveryCodes(ctx.recoveryCodes);
    const pending: PendingSignup = {
      totp: { sealed: enrolling.sealed, lastStep: confirmed.step },
      codes: records,
    };
    await updateAttempt(ctx.store.db, attempt.idHash, {
      step: 'codes',
      pendingData: JSON.stringify(pending),
    });
    noStore(c);
    return c.json({ recoveryCodes: codes });
  });

  app.post('/api/signup/finish', async (c) => {
    const body = await readJsonBody(c, finishBody);
    const attempt = await requireAttempt(ctx.store, body.attempt, 'signup', ['codes']);
    const pending = JSON.parse(attempt.pendingData ?? 'null') as PendingSignup | null;
    const factor = pending?.credential ?? pending?.totp;
    if (!pending || !factor || !attempt.username || !attempt.usernameKey || !attempt.passwordHash) {
      throw new HttpError(409, 'wrong_step', 'This sign-up is incomplete. Start again.');
    }
    const now = ctx.store.clock.now();
    const info = requestInfo(c);
    let userId: number;
    try {
      userId = await ctx.store.db.transaction(async (tx) => {
        // Deleting the attempt first makes the last step single use under parallel requests.
        if (!(await deleteAttempt(tx, attempt.idHash))) {
          throw new HttpError(401, 'attempt_expired', 'This sign-up was already completed.');
        }
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
      if (isDuplicateEntry(error)) {
        throw new HttpError(
          409,
          'username_taken',
          'Someone took this username while you were signing up. Start again with another one.',
        );
      }
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
      await logSecurityEvent(ctx.store.db, { userId, type, detail, now, ...info });
    }
    const { body: session } = await startSessionResponse(
      ctx.sessions,
      c,
      { id: userId, username: attempt.username },
      'full',
    );
    noStore(c);
    return c.json(session);
  });

  return app;
}

async function newKeyOptions(ctx: AuthContexts, idHash: string, username: string) {
  const { options, fields } = await keyRegistrationChallenge(ctx.keys, { username, exclude: [] });
  await updateAttempt(ctx.store.db, idHash, fields);
  return options;
}
