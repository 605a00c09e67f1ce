/** The CAPTCHA check of a pending attempt: compared once, used up whatever the answer. */
import type { AuthRuntime } from '../../auth/auth-runtime.js';
import type { CaptchaVerdict } from '../../auth/captcha-verdict.js';
import { captchaAnswersMatch } from '../../captcha/index.js';
import { type AttemptRow, takeCaptcha } from '../../db/attempt-store.js';
import { HttpError } from '../../http/errors.js';

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
