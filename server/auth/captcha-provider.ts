/**
 * Where CAPTCHA challenges come from. Production draws a random answer and renders it as a
 * distorted PNG (server/captcha). In CAPTCHA test mode (CAPTCHA_TEST_MODE=on, refused in
 * production) every answer is CAPTCHA_TEST_MODE_ANSWER, so tests against a running server can
 * type it; in-process tests inject their own provider through AppDeps instead.
 */
import type { CaptchaRenderer } from '../captcha/index.js';
import { generateCaptchaAnswer } from '../captcha/index.js';
import type { RandomSource } from '../random.js';
import { CAPTCHA_TEST_MODE_ANSWER } from './auth-settings.js';

export interface CaptchaChallenge {
  /** The expected answer: kept server-side only, and only as a hash. */
  answer: string;
  png: Uint8Array;
}

export interface CaptchaProvider {
  create(): Promise<CaptchaChallenge>;
}

export function createImageCaptchaProvider(deps: {
  renderer: CaptchaRenderer;
  random: RandomSource;
  testMode: boolean;
}): CaptchaProvider {
  return {
    async create() {
      const answer = deps.testMode ? CAPTCHA_TEST_MODE_ANSWER : generateCaptchaAnswer(deps.random);
      return { answer, png: await deps.renderer.render(answer, deps.random) };
    },
  };
}
