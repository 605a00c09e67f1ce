import { type AppDeps, createApp } from '../../server/app.js';
import type { HashLimiter } from '../../server/auth/password-hash.js';
import { systemClock } from '../../server/clock.js';
import { type Config, loadConfig } from '../../server/config.js';
import type { Database } from '../../server/db/client.js';
import { createMemoryLogger } from '../../server/logger.js';
import { packageRoot } from '../../server/paths.js';
import { systemRandom } from '../../server/random.js';
import {
  createRecordingCaptchaProvider,
  createTestAuthDeps,
  TEST_AUTH_SETTINGS,
} from './test-auth.js';

/** The test configuration: the defaults of a development machine, overridable per test. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }, packageRoot()),
    auth: TEST_AUTH_SETTINGS,
    ...overrides,
  };
}

/** Builds the app in-process, as main.ts does, with a memory logger to inspect. */
export function buildTestApp(
  database: Database,
  overrides: Partial<Omit<AppDeps, 'database' | 'config'>> & {
    config?: Partial<Config>;
    hashLimiter?: HashLimiter;
  } = {},
) {
  const logger = createMemoryLogger();
  const { config, hashLimiter, ...rest } = overrides;
  const fullConfig = testConfig(config);
  const random = rest.random ?? systemRandom;
  const captcha = createRecordingCaptchaProvider(random);
  const deps: AppDeps = {
    config: fullConfig,
    database,
    clock: systemClock,
    random,
    logger,
    auth: createTestAuthDeps({
      settings: fullConfig.auth,
      random,
      captcha,
      ...(hashLimiter ? { hashLimiter } : {}),
    }),
    ...rest,
  };
  return { app: createApp(deps), logger, deps, captcha };
}
