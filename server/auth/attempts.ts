/**
 * The pending attempt each pre-session step proves (32 random bytes, stored as SHA-256, expiring
 * in minutes) and its WebAuthn challenge (taken once). Returns tagged values; the routes turn
 * the refusals into HTTP.
 */
import {
  type AttemptKind,
  type AttemptRow,
  deleteExpiredAttempts,
  findLiveAttempt,
  insertAttempt,
  takeChallenge,
} from '../db/attempt-store.js';
import { deleteSessionsOlderThan } from '../db/session-store.js';
import type { AttemptContext, AuthStore } from './auth-contexts.js';
import { hashToken, isWellFormedToken, newSecretToken } from './secret-token.js';

export type { AttemptKind, AttemptRow };

/** Who asked: recorded with attempts, sessions, factors and security events. */
export interface RequestInfo {
  ip: string;
  userAgent: string;
}

export interface BegunAttempt {
  token: string;
  expiresAt: Date;
}

/** Begins a pending sign-up, sign-in, unlock or key binding; returns its secret. */
export async function beginAttempt(
  attempts: AttemptContext,
  info: RequestInfo,
  kind: AttemptKind,
  fields: Partial<AttemptRow> = {},
): Promise<BegunAttempt> {
  const token = newSecretToken(attempts.random);
  const now = attempts.clock.now();
  const expiresAt = new Date(now.getTime() + attempts.attemptTtlMs);
  // Housekeeping: abandoned attempts and ended sessions go when a new attempt begins.
  await deleteExpiredAttempts(attempts.db, now);
  await deleteSessionsOlderThan(
    attempts.db,
    new Date(now.getTime() - attempts.sessionLimits.sessionIdleMs),
    new Date(now.getTime() - attempts.sessionLimits.sessionAbsoluteMs),
  );
  await insertAttempt(attempts.db, {
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

/** The attempt a token names is gone: expired, used, or never was. */
export type AttemptGone = { kind: 'attempt_expired' };
/** The attempt is live but not at a step this request may take. */
export type WrongStep = { kind: 'wrong_step' };

export type AttemptLookup = { kind: 'found'; attempt: AttemptRow } | AttemptGone | WrongStep;

/** The live attempt a step names, in one of the expected steps. */
export async function findAttempt(
  store: AuthStore,
  token: string,
  kind: AttemptKind,
  steps: readonly string[],
): Promise<AttemptLookup> {
  const row = isWellFormedToken(token)
    ? await findLiveAttempt(store.db, hashToken(token), [kind], store.clock.now())
    : undefined;
  if (!row) return { kind: 'attempt_expired' };
  if (!steps.includes(row.step)) return { kind: 'wrong_step' };
  return { kind: 'found', attempt: row };
}

export type ChallengeRefusal = { kind: 'challenge_used' } | { kind: 'challenge_expired' };

/** Takes the attempt's challenge (single use); refused when there is none or it expired. */
export async function useChallenge(
  store: AuthStore,
  attempt: AttemptRow,
): Promise<{ kind: 'challenge'; challenge: string } | ChallengeRefusal> {
  const { challenge, challengeExpiresAt } = attempt;
  const taken = challenge ? await takeChallenge(store.db, attempt.idHash, challenge) : false;
  if (!challenge || !taken || !challengeExpiresAt) return { kind: 'challenge_used' };
  if (challengeExpiresAt.getTime() <= store.clock.now().getTime()) {
    return { kind: 'challenge_expired' };
  }
  return { kind: 'challenge', challenge };
}
