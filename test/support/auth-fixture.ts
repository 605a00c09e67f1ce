/** One in-process app with a fake clock, for the auth API tests, plus a few shortcuts. */

import type { AuthSettings } from '../../server/auth/auth-settings.js';
import type { HashLimiter } from '../../server/auth/password-hash.js';
import type { Config } from '../../server/config.js';
import { ApiClient } from './api-client.js';
import { FakeClock } from './fake-clock.js';
import { buildTestApp } from './test-app.js';
import { TEST_AUTH_SETTINGS } from './test-auth.js';
import type { TestDatabase } from './test-database.js';

export const ORIGIN = 'http://localhost:3000';

let counter = 0;
/** A username no other test of this file uses. */
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}`;
}

export function authApp(
  testDb: TestDatabase,
  options: {
    auth?: Partial<AuthSettings>;
    config?: Partial<Config>;
    clock?: FakeClock;
    hashLimiter?: HashLimiter;
  } = {},
) {
  const clock = options.clock ?? new FakeClock(new Date());
  const built = buildTestApp(testDb.database, {
    clock,
    ...(options.hashLimiter ? { hashLimiter: options.hashLimiter } : {}),
    config: {
      publicOrigin: ORIGIN,
      ...options.config,
      auth: { ...TEST_AUTH_SETTINGS, ...options.auth },
    },
  });
  return {
    ...built,
    clock,
    client: () => new ApiClient(built.app, ORIGIN),
    async rows(sql: string, params: unknown[] = []) {
      const [result] = await testDb.database.pool.query(sql, params);
      return result as Record<string, unknown>[];
    },
  };
}
