/**
 * Sign-ins never stall the relay: password hashing shares one bound (one hash at a time on 2
 * cores, server/auth/create-auth-deps.ts) and a short line; past the line a request that may
 * hash gets 503 with Retry-After, before it changes anything. Here the line holds 2 requests
 * and the hashes are slow enough (scrypt N=2^15) that a burst of 8 overflows it.
 */
import { describe, expect, it } from 'vitest';
import { signInPassword, signUp } from '../../test/support/api-client.js';
import { authApp, uniqueName } from '../../test/support/auth-fixture.js';
import { TEST_AUTH_SETTINGS } from '../../test/support/test-auth.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { createHashLimiter } from '../auth/password-hash.js';

const testDb = useTestDatabase();

const PASSWORD = 'walrus compass afternoon';

describe('the password-hashing bound', () => {
  it('answers 503 with Retry-After past the queue limit, and counts nothing for a refused try', async () => {
    const limiter = createHashLimiter({ maxConcurrent: 1, maxRequests: 2 });
    const env = authApp(testDb, {
      hashLimiter: limiter,
      auth: {
        passwordHashParams: { N: 2 ** 15, r: 8, p: 1, keyLength: 32 },
        // The per-IP bucket stays out of the way.
        ipBucket: { ...TEST_AUTH_SETTINGS.ipBucket, capacity: 10_000 },
      },
    });
    const name = uniqueName('bound');
    await signUp(env.client(), env.captcha, name, PASSWORD);
    // A burst of wrong passwords, each from its own client (and address).
    const clients = Array.from({ length: 8 }, (_, i) => {
      const client = env.client();
      client.ip = `198.51.100.${100 + i}`;
      return client;
    });
    const started = await Promise.all(clients.map((client) => client.post('/api/signin/start')));
    const tries = await Promise.all(
      clients.map((client, i) =>
        client.post('/api/signin/password', {
          attempt: started[i]?.body.attempt,
          username: name,
          password: 'wrong password here',
        }),
      ),
    );
    const busy = tries.filter((response) => response.status === 503);
    const answered = tries.filter((response) => response.status !== 503);
    // All 8 arrive before the first is answered: 2 are weighed, 6 refused at the door.
    expect(busy).toHaveLength(6);
    for (const response of busy) {
      expect(response.body.error.code).toBe('busy');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The others were weighed (wrong password or CAPTCHA asked), none failed otherwise.
    expect(answered.every((response) => [401, 403].includes(response.status))).toBe(true);
    const [row] = await env.rows('SELECT failed_attempts FROM users WHERE username_key = ?', [
      name,
    ]);
    // Only weighed tries count as failures: a 503 changed nothing.
    expect(Number(row?.failed_attempts)).toBe(answered.length);
    // Once the line is free, the right password goes through.
    const retry = await signInPassword(env.client(), env.captcha, name, PASSWORD);
    expect(retry.response.status).toBe(200);
  });
});
