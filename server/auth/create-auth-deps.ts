/**
 * Builds AuthDeps from the configuration, the pepper and the breach corpus: the production
 * wiring that main.ts and the benchmarks use. Tests use the same function with their own
 * settings (small scrypt costs) and may swap in their own CAPTCHA provider.
 */
import { createCaptchaRenderer } from '../captcha/index.js';
import type { Config } from '../config.js';
import type { RandomSource } from '../random.js';
import type { AuthDeps } from './auth-deps.js';
import type { BreachCorpus } from './breach-corpus.js';
import { type CaptchaProvider, createImageCaptchaProvider } from './captcha-provider.js';
import { createPasswordHasher } from './password-hash.js';
import { createPwnedPasswordsChecker } from './pwned-passwords.js';
import { createSecretSealer } from './secret-sealer.js';

export function createAuthDeps(input: {
  config: Pick<Config, 'auth' | 'pwnedPasswordsApi'>;
  random: RandomSource;
  pepper: Uint8Array;
  /** The 32-byte key that seals authenticator-app secrets (TOTP_KEY_FILE). */
  totpKey: Uint8Array;
  breachCorpus: BreachCorpus;
  captcha?: CaptchaProvider;
  fetch?: typeof globalThis.fetch;
}): AuthDeps {
  const { config, random, pepper } = input;
  const api = config.pwnedPasswordsApi;
  return {
    passwordHasher: createPasswordHasher({
      pepper,
      params: config.auth.passwordHashParams,
      random,
    }),
    recoveryCodeHasher: createPasswordHasher({
      pepper,
      params: config.auth.recoveryCodeHashParams,
      random,
    }),
    breachCorpus: input.breachCorpus,
    totpSealer: createSecretSealer(input.totpKey, random),
    captcha:
      input.captcha ??
      createImageCaptchaProvider({
        renderer: createCaptchaRenderer(),
        random,
        testMode: config.auth.captchaTestMode,
      }),
    ...(api
      ? {
          pwnedPasswords: createPwnedPasswordsChecker({
            fetch: input.fetch ?? globalThis.fetch,
            timeoutMs: 2_000,
            baseUrl: api,
          }),
        }
      : {}),
  };
}
