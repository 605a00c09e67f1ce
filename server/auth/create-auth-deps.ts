/**
 * Builds AuthDeps from the configuration, the pepper and the breach corpus: the production
 * wiring that main.ts and the benchmarks use. Tests use the same function with their own
 * settings (small scrypt costs) and may swap in their own CAPTCHA provider.
 */

import { availableParallelism } from 'node:os';
import { createCaptchaRenderer } from '../captcha/index.js';
import type { Config } from '../config.js';
import type { RandomSource } from '../random.js';
import type { AuthDeps } from './auth-deps.js';
import type { BreachCorpus } from './breach-corpus.js';
import { type CaptchaProvider, createImageCaptchaProvider } from './captcha-provider.js';
import {
  createHashLimiter,
  createPasswordHasher,
  type HashLimiter,
  hashConcurrencyFor,
  type ScryptFunction,
} from './password-hash.js';
import { createPwnedPasswordsChecker } from './pwned-passwords.js';
import { createScryptWorkers } from './scrypt-workers.js';
import { createSecretSealer } from './secret-sealer.js';

/**
 * Requests that may hash, in flight at once: at production scrypt (about 0.3 s a password) 16
 * in line is a wait of about 5 s on 2 cores; the next one is told to come back (503).
 */
export const HASH_QUEUE_LIMIT = 16;

export function createAuthDeps(input: {
  config: Pick<Config, 'auth' | 'pwnedPasswordsApi'>;
  random: RandomSource;
  pepper: Uint8Array;
  /** The 32-byte key that seals authenticator-app secrets (TOTP_KEY_FILE). */
  totpKey: Uint8Array;
  breachCorpus: BreachCorpus;
  captcha?: CaptchaProvider;
  fetch?: typeof globalThis.fetch;
  /** The hashing bound (default: one core fewer than the machine has, 16 requests in line). */
  hashLimiter?: HashLimiter;
  /**
   * Where scrypt runs (default: as many worker threads at nice 19 as the bound lets hash at
   * once, started at the first hash, so the event loop's thread wins a contended core).
   */
  scrypt?: ScryptFunction;
}): AuthDeps {
  const { config, random, pepper } = input;
  const api = config.pwnedPasswordsApi;
  const concurrency = hashConcurrencyFor(availableParallelism());
  const hashLimiter =
    input.hashLimiter ??
    createHashLimiter({ maxConcurrent: concurrency, maxRequests: HASH_QUEUE_LIMIT });
  const scrypt = input.scrypt ?? createScryptWorkers({ count: concurrency }).scrypt;
  return {
    hashLimiter,
    passwordHasher: createPasswordHasher({
      pepper,
      params: config.auth.passwordHashParams,
      random,
      limiter: hashLimiter,
      scrypt,
    }),
    recoveryCodeHasher: createPasswordHasher({
      pepper,
      params: config.auth.recoveryCodeHashParams,
      random,
      limiter: hashLimiter,
      scrypt,
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
