/**
 * The pending attempt each pre-session step proves (32 random bytes, stored as SHA-256, expiring
 * in minutes), its WebAuthn challenge (taken once), and the request details every step records.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AuthRuntime } from '../../auth/auth-runtime.js';
import { hashToken, isWellFormedToken, newSecretToken } from '../../auth/secret-token.js';
import {
  type AttemptKind,
  type AttemptRow,
  deleteExpiredAttempts,
  findLiveAttempt,
  insertAttempt,
  takeChallenge,
} from '../../db/attempt-store.js';
import { deleteSessionsOlderThan } from '../../db/session-store.js';
import { HttpError } from '../../http/errors.js';
import { noStore } from '../../http/no-store.js';
import { readJsonBody } from '../../http/validation.js';

/** Re-exported for the sign-in routes, which import their shared pieces from auth-common.ts. */
export { noStore };

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
