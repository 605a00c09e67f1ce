export {
  CAPTCHA_ALPHABET,
  CAPTCHA_LENGTH,
  captchaAnswersMatch,
  generateCaptchaAnswer,
  hashCaptchaAnswer,
} from './answer.js';
export {
  CAPTCHA_HEIGHT,
  CAPTCHA_WIDTH,
  type CaptchaRenderer,
  createCaptchaRenderer,
} from './render.js';
