/**
 * Parallel attempts on one account (issue 10, item 1; NIST SP 800-63B §5.2.2): a burst of
 * password steps from many addresses meets exactly the CAPTCHA, the growing delay and the
 * 100-failure cap a sequential attacker meets. Real database, one in-process app.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, signUp } from '../../test/support/api-client.js';
import { authApp, uniqueName } from '../../test/support/auth-fixture.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { ACCOUNT_LOCKOUT_THRESHOLD, accountFailureDelayMs } from '../auth/rate-limit.js';

const testDb = useTestDatabase();

const PASSWORD = 'walrus compass afternoon';

async function account(options: Parameters<typeof authApp>[1] = {}) {
  const env = authApp(testDb, options);
  const name = uniqueName('burst');
  await signUp(env.client(), env.captcha, name, PASSWORD);
  return { ...env, name };
}

type Env = Awaited<ReturnType<typeof account>>;

async function failures(env: Env) {
  const [row] = await env.rows(
    'SELECT failed_attempts, locked_at FROM users WHERE username_key = ?',
    [env.name],
  );
  return { count: Number(row?.failed_attempts), locked: row?.locked_at !== null };
}

/** One client per address, each with its own pending sign-in attempt. */
async function attackers(env: Env, n: number) {
  const list: { client: ApiClient; attempt: string; answer?: string }[] = [];
  for (let i = 0; i < n; i += 1) {
    const client = env.client();
    client.ip = `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const started = await client.post('/api/signin/start');
    list.push({ client, attempt: started.body.attempt as string });
  }
  return list;
}

/** A CAPTCHA picture per attempt, solved (the recording provider remembers the last answer). */
async function solveCaptchas(env: Env, list: { client: ApiClient; attempt: string }[]) {
  const solved = [];
  for (const item of list) {
    await item.client.post('/api/auth/captcha', { attempt: item.attempt });
    solved.push({ ...item, answer: env.captcha.lastAnswer() });
  }
  return solved;
}

/** Sends every password step at once; each answer with the time it came back. */
async function burst(
  env: Env,
  list: { client: ApiClient; attempt: string; answer?: string }[],
  passwordOf: (index: number) => string,
) {
  const started = performance.now();
  return Promise.all(
    list.map(async (item, index) => {
      const response: ApiResponse = await item.client.post('/api/signin/password', {
        attempt: item.attempt,
        username: env.name,
        password: passwordOf(index),
        ...(item.answer ? { captcha: item.answer } : {}),
      });
      return { index, response, ms: performance.now() - started };
    }),
  );
}

const codeOf = (r: ApiResponse) =>
  r.status === 401 ? 'failed' : (r.body?.error?.code ?? r.status);

describe('§5.2.2 parallel attempts on one account are weighed one at a time', () => {
  it('100 parallel wrong guesses from 100 addresses: a CAPTCHA from the 4th on, the delays of a sequential attacker, the count ends at exactly 100', async () => {
    const scale = 0.001;
    const env = await account({ auth: { failureDelayScale: scale } });
    const list = await attackers(env, 100);
    const first = await burst(env, list, (i) => `wrong guess ${i}`);
    const firstCodes = first.map((r) => codeOf(r.response));
    // Only three guesses are weighed without a CAPTCHA, however they arrive.
    expect(firstCodes.filter((c) => c === 'failed')).toHaveLength(3);
    expect(firstCodes.filter((c) => c === 'captcha_required')).toHaveLength(97);
    expect((await failures(env)).count).toBe(3);

    const retry = await solveCaptchas(
      env,
      first.filter((r) => codeOf(r.response) === 'captcha_required').map((r) => list[r.index]!),
    );
    const second = await burst(env, retry, (i) => `second wrong guess ${i}`);
    expect(second.map((r) => codeOf(r.response)).every((c) => c === 'failed')).toBe(true);
    expect(await failures(env)).toEqual({ count: ACCOUNT_LOCKOUT_THRESHOLD, locked: true });

    // The delays add up as for one attacker waiting for each answer: failure k is weighed no
    // earlier than the delays of failures 4..k after the burst began.
    let expectedMs = 0;
    for (let f = 3; f < ACCOUNT_LOCKOUT_THRESHOLD; f += 1) expectedMs += accountFailureDelayMs(f);
    expectedMs *= scale;
    const times = second.map((r) => r.ms).sort((a, b) => a - b);
    // 5 % slack for timer granularity (each sleep is a separate timer rounded to 1 ms).
    expect(times.at(-1)).toBeGreaterThanOrEqual(expectedMs * 0.95);
    // A burst that skipped the queue would have all its answers after about one longest delay.
    expect(times[Math.floor(times.length / 2)]).toBeGreaterThanOrEqual(expectedMs * 0.3);

    // The next attempt, even with the right password and a CAPTCHA: locked.
    const [late] = await solveCaptchas(env, await attackers(env, 1));
    const locked = await burst(env, [late!], () => PASSWORD);
    expect(locked[0]?.response.status).toBe(423);
    expect((await failures(env)).count).toBe(ACCOUNT_LOCKOUT_THRESHOLD);
  }, 90_000);

  it('with the count at 99, a burst of 10 including the right password weighs one guess only: nothing is confirmed past the cap', async () => {
    const env = await account();
    await env.rows('UPDATE users SET failed_attempts = 99 WHERE username_key = ?', [env.name]);
    const list = await solveCaptchas(env, await attackers(env, 10));
    const rightAt = 6;
    const results = await burst(env, list, (i) => (i === rightAt ? PASSWORD : `wrong ${i}`));
    const weighed = results.filter((r) => r.response.status !== 423);
    expect(
      weighed.map((r) => [r.index, r.response.status]),
      JSON.stringify(results.map((r) => [r.index, codeOf(r.response)])),
    ).toHaveLength(1);
    const { count } = await failures(env);
    expect(count).toBeLessThanOrEqual(ACCOUNT_LOCKOUT_THRESHOLD);
    const confirmed = results.find((r) => r.response.status === 200);
    if (confirmed) {
      // The right password was the 100th try: weighed at 99 failures, within the cap.
      expect(confirmed.index).toBe(rightAt);
      expect(count).toBe(99);
    } else {
      expect(count).toBe(ACCOUNT_LOCKOUT_THRESHOLD);
    }
  }, 90_000);

  it('an unlock clears the queue of delayed tries: the next sign-in is not held behind a burst’s slots', async () => {
    const env = authApp(testDb, { auth: { failureDelayScale: 1 } });
    const name = uniqueName('unlocked');
    const { key, codes } = await signUp(env.client(), env.captcha, name, PASSWORD);
    // What a burst leaves: locked, and the last reserved slot an hour ahead.
    await env.rows(
      'UPDATE users SET failed_attempts = 100, locked_at = UTC_TIMESTAMP(3), next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL 1 HOUR WHERE username_key = ?',
      [name],
    );
    const client = env.client();
    const start = await client.post('/api/unlock/start');
    const proof = await client.post('/api/unlock/options', {
      attempt: start.body.attempt,
      username: name,
      password: PASSWORD,
      code: codes[0]?.code,
    });
    const unlocked = await client.post('/api/unlock/finish', {
      attempt: proof.body.attempt,
      response: await key.assert(proof.body.options),
    });
    expect(unlocked.status).toBe(204);
    const [row] = await env.rows('SELECT next_attempt_at FROM users WHERE username_key = ?', [
      name,
    ]);
    expect(row?.next_attempt_at).toBeNull();
    const [late] = await attackers({ ...env, name }, 1);
    const started = performance.now();
    const answer = await burst({ ...env, name }, [late!], () => PASSWORD);
    expect(answer[0]?.response.status).toBe(200);
    // Not an hour: the first try after an unlock has no delay at all.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
