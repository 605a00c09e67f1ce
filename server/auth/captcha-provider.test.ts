import { describe, expect, it } from 'vitest';
import { createCaptchaRenderer } from '../captcha/index.js';
import { systemRandom } from '../random.js';
import { CAPTCHA_TEST_MODE_ANSWER } from './auth-settings.js';
import { createImageCaptchaProvider } from './captcha-provider.js';

describe('CAPTCHA_TEST_MODE', () => {
  it('makes every answer the documented fixed one, still as a real PNG', async () => {
    const provider = createImageCaptchaProvider({
      renderer: createCaptchaRenderer(),
      random: systemRandom,
      testMode: true,
    });
    const challenge = await provider.create();
    expect(challenge.answer).toBe(CAPTCHA_TEST_MODE_ANSWER);
    expect(Buffer.from(challenge.png.subarray(1, 4)).toString()).toBe('PNG');
  });
});
