/**
 * The CAPTCHA of a pending sign-up or sign-in: a new picture whose answer is kept with the
 * attempt, hashed, for a few minutes; and the check of an answer, compared once and used up
 * whatever the answer.
 */
import { captchaAnswersMatch, hashCaptchaAnswer } from '../captcha/index.js';
import {
  type AttemptRow,
  findLiveAttempt,
  takeCaptcha,
  updateAttempt,
} from '../db/attempt-store.js';
import type { AttemptGone } from './attempts.js';
import type { AuthStore, CaptchaContext } from './auth-contexts.js';
import type { CaptchaVerdict } from './captcha-verdict.js';
import { hashToken, isWellFormedToken } from './secret-token.js';

/** A new picture for the attempt the token names (its previous one stops counting). */
export async function issueCaptcha(
  captchas: CaptchaContext,
  token: string,
): Promise<{ kind: 'picture'; png: Uint8Array<ArrayBuffer> } | AttemptGone> {
  const now = captchas.clock.now();
  const idHash = isWellFormedToken(token) ? hashToken(token) : '';
  const row = await findLiveAttempt(captchas.db, idHash, ['signup', 'signin'], now);
  if (!row) return { kind: 'attempt_expired' };
  const challenge = await captchas.provider.create();
  await updateAttempt(captchas.db, row.idHash, {
    captchaHash: Buffer.from(hashCaptchaAnswer(challenge.answer)).toString('hex'),
    captchaExpiresAt: new Date(now.getTime() + captchas.ttlMs),
  });
  return { kind: 'picture', png: new Uint8Array(challenge.png) };
}

/** Compares an answer with the attempt's CAPTCHA, which is used up whatever the answer. */
export async function checkCaptcha(
  store: AuthStore,
  attempt: AttemptRow,
  answer: string | undefined,
): Promise<CaptchaVerdict> {
  if (!attempt.captchaHash || !attempt.captchaExpiresAt) return 'missing';
  if (answer === undefined || answer.trim() === '') return 'missing';
  const taken = await takeCaptcha(store.db, attempt.idHash, attempt.captchaHash);
  if (!taken) return 'missing';
  if (attempt.captchaExpiresAt.getTime() <= store.clock.now().getTime()) return 'expired';
  return captchaAnswersMatch(Buffer.from(attempt.captchaHash, 'hex'), answer) ? 'ok' : 'wrong';
}

/** A CAPTCHA that was not passed, as a flow's refusal. */
export type CaptchaRefusal =
  | { kind: 'captcha_wrong' }
  | { kind: 'captcha_expired' }
  | { kind: 'captcha_required' };

export function captchaRefusal(verdict: Exclude<CaptchaVerdict, 'ok'>): CaptchaRefusal {
  if (verdict === 'wrong') return { kind: 'captcha_wrong' };
  if (verdict === 'expired') return { kind: 'captcha_expired' };
  return { kind: 'captcha_required' };
}
