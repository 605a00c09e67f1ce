/**
 * The CAPTCHA image: a server-rendered PNG (never SVG, whose paths give the letters away) drawn
 * with @napi-rs/canvas and a font that ships in server/captcha/fonts/.
 */
import type { RandomSource } from '../random.js';

export const CAPTCHA_WIDTH = 200;
export const CAPTCHA_HEIGHT = 70;

export interface CaptchaRenderer {
  /** PNG bytes of the answer, distorted afresh from `random` on every call. */
  render(answer: string, random: RandomSource): Promise<Uint8Array>;
}

export function createCaptchaRenderer(): CaptchaRenderer {
  throw new Error('createCaptchaRenderer: not implemented yet');
}
