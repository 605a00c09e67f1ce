/**
 * POST /api/auth/captcha: a new CAPTCHA picture for a pending sign-up or sign-in (also the
 * "new image" button). The answer is kept with the attempt, hashed, for a few minutes and one
 * comparison; the PNG goes to the page, which shows it through a blob: URL.
 */
import { Hono } from 'hono';
import type { AuthRuntime } from '../auth/auth-runtime.js';
import { hashToken, isWellFormedToken } from '../auth/secret-token.js';
import { hashCaptchaAnswer } from '../captcha/index.js';
import { findLiveAttempt, updateAttempt } from '../db/attempt-store.js';
import { HttpError } from '../http/errors.js';
import { readJsonBody } from '../http/validation.js';
import { ATTEMPT_GONE_MESSAGE, attemptBody, noStore } from './auth-common.js';

export function captchaRoutes(rt: AuthRuntime) {
  return new Hono().post('/api/auth/captcha', async (c) => {
    const { attempt } = await readJsonBody(c, attemptBody);
    const now = rt.clock.now();
    const idHash = isWellFormedToken(attempt) ? hashToken(attempt) : '';
    const row = await findLiveAttempt(rt.db, idHash, ['signup', 'signin'], now);
    if (!row) throw new HttpError(401, 'attempt_expired', ATTEMPT_GONE_MESSAGE);
    const challenge = await rt.captcha.create();
    await updateAttempt(rt.db, row.idHash, {
      captchaHash: Buffer.from(hashCaptchaAnswer(challenge.answer)).toString('hex'),
      captchaExpiresAt: new Date(now.getTime() + rt.settings.captchaTtlMs),
    });
    noStore(c);
    return c.body(new Uint8Array(challenge.png), 200, { 'Content-Type': 'image/png' });
  });
}
