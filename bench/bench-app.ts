/**
 * The app as the benchmarks run it: production settings (real scrypt, the breach corpus), one
 * per-IP bucket too large to get in the way of a load that comes from the bench's addresses,
 * and a CAPTCHA provider that remembers its answers so the load can sign up and in.
 */
import { type AppDeps, createApp } from '../server/app.js';
import { DEFAULT_AUTH_SETTINGS } from '../server/auth/auth-settings.js';
import { loadBreachCorpus } from '../server/auth/breach-corpus.js';
import { createAuthDeps } from '../server/auth/create-auth-deps.js';
import { systemClock } from '../server/clock.js';
import type { Config } from '../server/config.js';
import { systemRandom } from '../server/random.js';
import { createRecordingCaptchaProvider } from '../test/support/test-auth.js';

export function buildBenchApp(
  options: { config: Config } & Pick<AppDeps, 'database' | 'logger'> &
    Partial<Pick<AppDeps, 'cluster' | 'upgradeWebSocket'>>,
) {
  const config = {
    ...options.config,
    auth: { ...DEFAULT_AUTH_SETTINGS, ipBucket: { capacity: 1e6, refillPerSecond: 1e6 } },
  };
  const captcha = createRecordingCaptchaProvider(systemRandom);
  const app = createApp({
    ...options,
    config,
    clock: systemClock,
    random: systemRandom,
    auth: createAuthDeps({
      config,
      random: systemRandom,
      pepper: systemRandom.bytes(32),
      totpKey: systemRandom.bytes(32),
      breachCorpus: loadBreachCorpus(),
      captcha,
    }),
  });
  return { app, captcha };
}
