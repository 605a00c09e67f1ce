/**
 * The sign-up flow's last step called directly (server/auth/flows/signup.ts), with
 * interleavings the HTTP tests cannot choose: two sign-ups of one name that both passed the
 * password step while no such account existed, and two finishes of one sign-up at once. Real
 * database; the tagged results are what the routes turn into HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, uniqueName } from '../../test/support/auth-fixture.js';
import { SoftAuthenticator } from '../../test/support/soft-authenticator.js';
import { testConfig } from '../../test/support/test-app.js';
import {
  createRecordingCaptchaProvider,
  createTestAuthDeps,
} from '../../test/support/test-auth.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';
import { beginAttempt } from '../auth/attempts.js';
import { type AuthContexts, createAuthContexts } from '../auth/auth-contexts.js';
import { issueCaptcha } from '../auth/captcha-check.js';
import { chooseCredentials, finishSignup, registerKey } from '../auth/flows/signup.js';
import { systemClock } from '../clock.js';
import { createLocalCluster } from '../cluster/cluster.js';
import { createMemoryLogger } from '../logger.js';
import { systemRandom } from '../random.js';

const PASSWORD = 'walrus compass afternoon';
const info = { ip: '192.0.2.7', userAgent: 'signup flow test' };

let testDb: TestDatabase;
let ctx: AuthContexts;
let captcha: ReturnType<typeof createRecordingCaptchaProvider>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const config = testConfig({ publicOrigin: ORIGIN });
  captcha = createRecordingCaptchaProvider(systemRandom);
  ctx = createAuthContexts({
    config,
    db: testDb.database.db,
    clock: systemClock,
    random: systemRandom,
    logger: createMemoryLogger(),
    auth: createTestAuthDeps({ settings: config.auth, random: systemRandom, captcha }),
    cluster: createLocalCluster(systemClock),
  });
});
afterAll(async () => {
  await testDb.drop();
});

/** A sign-up through the password and key steps: the attempt, waiting for its last step. */
async function pendingSignup(username: string): Promise<string> {
  const { token } = await beginAttempt(ctx.attempts, info, 'signup', { step: 'password' });
  expect((await issueCaptcha(ctx.captchas, token)).kind).toBe('picture');
  const chosen = await chooseCredentials(ctx, {
    attempt: token,
    username,
    password: PASSWORD,
    captcha: captcha.lastAnswer(),
  });
  if (chosen.kind !== 'ok') throw new Error(`password step: ${chosen.kind}`);
  const response = await new SoftAuthenticator(ORIGIN).register(chosen.options);
  const registered = await registerKey(ctx, { attempt: token, response });
  expect(registered.kind).toBe('ok');
  return token;
}

async function usersNamed(key: string): Promise<number> {
  const [rows] = await testDb.database.pool.query(
    'SELECT COUNT(*) AS n FROM users WHERE username_key = ?',
    [key],
  );
  return Number((rows as { n: number }[])[0]?.n);
}

describe('finishSignup', () => {
  it('two sign-ups of one name (in another case) both pending: the second to finish gets username_taken_meanwhile, and no second account', async () => {
    const name = uniqueName('twin');
    const first = await pendingSignup(name);
    const second = await pendingSignup(name.toUpperCase());
    const done = await finishSignup(ctx, { attempt: first }, info);
    expect(done.kind).toBe('ok');
    if (done.kind === 'ok') {
      expect(done.username).toBe(name);
      expect(done.started.session.kind).toBe('full');
    }
    expect(await finishSignup(ctx, { attempt: second }, info)).toEqual({
      kind: 'username_taken_meanwhile',
    });
    expect(await usersNamed(name)).toBe(1);
  });

  it('two finishes of one sign-up at once: exactly one account and one session', async () => {
    const name = uniqueName('race');
    const token = await pendingSignup(name);
    const results = await Promise.all([
      finishSignup(ctx, { attempt: token }, info),
      finishSignup(ctx, { attempt: token }, info),
    ]);
    const kinds = results.map((result) => result.kind).sort();
    expect(kinds).toHaveLength(2);
    expect(kinds.filter((kind) => kind === 'ok')).toHaveLength(1);
    // The loser finds the attempt gone, or loses the delete inside the transaction.
    expect(['already_completed', 'attempt_expired']).toContain(kinds.find((k) => k !== 'ok'));
    expect(await usersNamed(name)).toBe(1);
    const [sessions] = await testDb.database.pool.query(
      'SELECT COUNT(*) AS n FROM sessions JOIN users ON users.id = sessions.user_id WHERE users.username_key = ?',
      [name],
    );
    expect(Number((sessions as { n: number }[])[0]?.n)).toBe(1);
  });
});
