/**
 * Auth dependencies for tests: the real hashers with small scrypt costs (production's are
 * asserted in their own test), the real breach corpus (loaded once per test process), and a
 * CAPTCHA provider that renders real images but remembers its answers so a test can solve them.
 */

import type { AuthDeps } from '../../server/auth/auth-deps.js';
import { type AuthSettings, DEFAULT_AUTH_SETTINGS } from '../../server/auth/auth-settings.js';
import { type BreachCorpus, loadBreachCorpus } from '../../server/auth/breach-corpus.js';
import {
  type CaptchaProvider,
  createImageCaptchaProvider,
} from '../../server/auth/captcha-provider.js';
import { createAuthDeps } from '../../server/auth/create-auth-deps.js';
import { createHashLimiter, type HashLimiter } from '../../server/auth/password-hash.js';
import { createCaptchaRenderer } from '../../server/captcha/index.js';
import type { RandomSource } from '../../server/random.js';

/** scrypt at N=2^10: the same code path, a thousandth of the cost. */
export const TEST_SCRYPT = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };

export const TEST_AUTH_SETTINGS: AuthSettings = {
  ...DEFAULT_AUTH_SETTINGS,
  passwordHashParams: TEST_SCRYPT,
  recoveryCodeHashParams: TEST_SCRYPT,
  failureDelayScale: 0,
  ipBucket: { capacity: 10_000, refillPerSecond: 1_000 },
  liveSessionCheckMs: 100,
};

let corpus: BreachCorpus | undefined;
export function testBreachCorpus(): BreachCorpus {
  corpus ??= loadBreachCorpus();
  return corpus;
}

export interface RecordingCaptchaProvider extends CaptchaProvider {
  /** The answer of the most recent picture. */
  lastAnswer(): string;
}

export function createRecordingCaptchaProvider(random: RandomSource): RecordingCaptchaProvider {
  const real = createImageCaptchaProvider({
    renderer: createCaptchaRenderer(),
    random,
    testMode: false,
  });
  let last = '';
  return {
    async create() {
      const challenge = await real.create();
      last = challenge.answer;
      return challenge;
    },
    lastAnswer: () => last,
  };
}

export function createTestAuthDeps(input: {
  settings: AuthSettings;
  random: RandomSource;
  captcha: CaptchaProvider;
  /** Default: two hashes at once and no queue limit (bursts in tests wait rather than get 503). */
  hashLimiter?: HashLimiter;
}): AuthDeps {
  return createAuthDeps({
    config: { auth: input.settings, pwnedPasswordsApi: undefined },
    random: input.random,
    pepper: input.random.bytes(32),
    totpKey: input.random.bytes(32),
    breachCorpus: testBreachCorpus(),
    captcha: input.captcha,
    hashLimiter:
      input.hashLimiter ??
      createHashLimiter({ maxConcurrent: 2, maxRequests: Number.POSITIVE_INFINITY }),
  });
}
