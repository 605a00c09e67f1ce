/** What a CAPTCHA answer turned out to be, compared with the attempt's picture. */
export type CaptchaVerdict = 'ok' | 'missing' | 'wrong' | 'expired';
