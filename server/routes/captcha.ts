/**
 * POST /api/auth/captcha: a new CAPTCHA picture for a pending sign-up or sign-in (also the
 * "new image" button). The answer is kept with the attempt, hashed, for a few minutes and one
 * comparison (auth/captcha-check.ts); the PNG goes to the page, which shows it through a blob: URL.
 */
import { Hono } from 'hono';
import type { CaptchaContext } from '../auth/auth-contexts.js';
import { issueCaptcha } from '../auth/captcha-check.js';
import { noStore } from '../http/no-store.js';
import { readJsonBody } from '../http/validation.js';
import { attemptBody } from './auth/bodies.js';
import { refusalError } from './auth/refusals.js';

export function captchaRoutes(captchas: CaptchaContext) {
  return new Hono().post('/api/auth/captcha', async (c) => {
    const { attempt } = await readJsonBody(c, attemptBody);
    const issued = await issueCaptcha(captchas, attempt);
    if (issued.kind !== 'picture') throw refusalError(issued);
    noStore(c);
    return c.body(issued.png, 200, { 'Content-Type': 'image/png' });
  });
}
