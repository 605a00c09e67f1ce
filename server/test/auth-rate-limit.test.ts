import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ApiClient, signIn, signInPassword, signUp } from '../../test/support/api-client.js';
import { authApp, uniqueName } from '../../test/support/auth-fixture.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { accountFailureDelayMs } from '../auth/rate-limit.js';

const testDb = useTestDatabase();

const PASSWORD = 'walrus compass afternoon';

async function account(options: Parameters<typeof authApp>[1] = {}) {
  const env = authApp(testDb, options);
  const name = uniqueName();
  const { key, codes } = await signUp(env.client(), env.captcha, name, PASSWORD);
  return { ...env, name, key, codes };
}

async function failures(env: Awaited<ReturnType<typeof account>>) {
  const [row] = await env.rows(
    'SELECT failed_attempts, locked_at FROM users WHERE username_key = ?',
    [env.name],
  );
  return { count: Number(row?.failed_attempts), locked: row?.locked_at !== null };
}

describe('§5.2.2 rate limiting per account', () => {
  it('each failed factor (password, key, recovery code) increments the account counter; a success resets it', async () => {
    const env = await account();
    const client = env.client();
    await signInPassword(client, env.captcha, env.name, 'wrong password here');
    expect((await failures(env)).count).toBe(1);
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const assertion = await env.key.assert(response.body.options, {
      origin: 'https://evil.example',
    });
    expect((await client.post('/api/signin/key', { attempt, response: assertion })).status).toBe(
      401,
    );
    expect((await failures(env)).count).toBe(2);
    const second = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const bad = await client.post('/api/signin/recovery-code', {
      attempt: second.attempt,
      code: '0000-0000-0000-0000',
    });
    expect(bad.status).toBe(401);
    expect((await failures(env)).count).toBe(3);
    expect((await signIn(client, env.captcha, env.name, PASSWORD, env.key)).status).toBe(200);
    expect((await failures(env)).count).toBe(0);
  });

  it('locks after 100 consecutive failures: the right credentials then fail with "locked"; a restart, new IPs and forged X-Forwarded-For change nothing', async () => {
    const env = await account();
    for (let i = 0; i < 100; i += 1) {
      const client = env.client();
      client.ip = `203.0.113.${i % 250}`;
      const { response } = await signInPassword(client, env.captcha, env.name, `wrong ${i}`);
      expect(response.status, `attempt ${i}: ${JSON.stringify(response.body)}`).toBe(401);
    }
    expect(await failures(env)).toEqual({ count: 100, locked: true });
    // A new process (restart) on the same database, from a new IP with a forged header.
    const restarted = authApp(testDb);
    const client = restarted.client();
    client.ip = '192.0.2.77';
    const { response } = await signInPassword(client, restarted.captcha, env.name, PASSWORD);
    expect(response.status).toBe(423);
    expect(response.body.error.code).toBe('account_locked');
    const forged = await client.post('/api/signin/start', {}, { 'x-forwarded-for': '10.9.8.7' });
    expect(forged.status).toBe(200);
    const events = await env.rows(
      "SELECT COUNT(*) AS n FROM security_events e JOIN users u ON u.id = e.user_id WHERE u.username_key = ? AND e.type = 'account_locked'",
      [env.name],
    );
    expect(Number(events[0]?.n)).toBe(1);
  }, 90_000);

  it('a password change weighs the current password as a reauthentication does: counted, refused while locked', async () => {
    const env = await account();
    const client = env.client();
    expect((await signIn(client, env.captcha, env.name, PASSWORD, env.key)).status).toBe(200);
    const change = (currentPassword: string) =>
      client.post('/api/account/password', {
        currentPassword,
        newPassword: 'lantern meadow quartz',
      });
    const wrong = await change('not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('reauth_failed');
    expect((await failures(env)).count).toBe(1);
    await env.rows('UPDATE users SET locked_at = NOW(3) WHERE username_key = ?', [env.name]);
    const locked = await change(PASSWORD);
    expect(locked.status).toBe(423);
    expect(locked.body.error.code).toBe('account_locked');
  });

  it('unlocking needs the password, a recovery code and the key, and is logged', async () => {
    const env = await account();
    await env.rows(
      'UPDATE users SET failed_attempts = 100, locked_at = UTC_TIMESTAMP(3) WHERE username_key = ?',
      [env.name],
    );
    const client = env.client();
    const proof = async (code: string | undefined, password = PASSWORD) => {
      const start = await client.post('/api/unlock/start');
      return client.post('/api/unlock/options', {
        attempt: start.body.attempt,
        username: env.name,
        password,
        code,
      });
    };
    const [first, second] = env.codes;
    // The password and code are right: options for the key; a wrong key does not unlock.
    const options = await proof(first?.code);
    expect(options.status).toBe(200);
    const wrongKey = await client.post('/api/unlock/finish', {
      attempt: options.body.attempt,
      response: await env.key.assert(options.body.options, { origin: 'https://evil.example' }),
    });
    expect(wrongKey.status).toBe(401);
    expect((await failures(env)).locked).toBe(true);
    // The code was not used up by the failed key: it works again, now with the right key.
    const again = await proof(first?.code?.toLowerCase());
    expect(again.status).toBe(200);
    const ok = await client.post('/api/unlock/finish', {
      attempt: again.body.attempt,
      response: await env.key.assert(again.body.options),
    });
    expect(ok.status).toBe(204);
    expect(await failures(env)).toEqual({ count: 0, locked: false });
    expect((await signIn(env.client(), env.captcha, env.name, PASSWORD, env.key)).status).toBe(200);
    // Used once: the same code cannot unlock again (the account is locked again first).
    await env.rows('UPDATE users SET locked_at = UTC_TIMESTAMP(3) WHERE username_key = ?', [
      env.name,
    ]);
    expect((await proof(first?.code)).status).toBe(401);
    expect((await proof(second?.code)).status).toBe(200);
    const types = (
      await env.rows(
        'SELECT e.type FROM security_events e JOIN users u ON u.id = e.user_id WHERE u.username_key = ?',
        [env.name],
      )
    ).map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining(['unlock_failed', 'account_unlocked', 'recovery_code_used']),
    );
  });

  it('POST /api/unlock/options tells nothing without the password: locked, unlocked and unknown accounts, a wrong password or code, all get one answer and no credential id', async () => {
    const locked = await account();
    const open = await account();
    await locked.rows(
      'UPDATE users SET failed_attempts = 100, locked_at = UTC_TIMESTAMP(3) WHERE username_key = ?',
      [locked.name],
    );
    const client = locked.client();
    const ask = async (username: string, password: string, code: string | undefined) => {
      const start = await client.post('/api/unlock/start');
      const r = await client.post('/api/unlock/options', {
        attempt: start.body.attempt,
        username,
        password,
        code,
      });
      return { status: r.status, body: r.body, text: JSON.stringify(r.body) };
    };
    const answers = [
      await ask(locked.name, 'not the password', locked.codes[0]?.code),
      await ask(locked.name, PASSWORD, '0000-0000-0000-0000'),
      await ask(open.name, PASSWORD, open.codes[0]?.code),
      await ask('nobody-here', PASSWORD, locked.codes[0]?.code),
    ];
    const credentialIds = (
      await locked.rows(
        'SELECT c.credential_id FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE u.username_key IN (?, ?)',
        [locked.name, open.name],
      )
    ).map((r) => String(r.credential_id));
    expect(credentialIds).toHaveLength(2);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(answers[0]?.body);
      for (const id of credentialIds) expect(answer.text).not.toContain(id);
    }
    // Only the password and a code of the locked account open the key step.
    const proven = await ask(locked.name, PASSWORD, locked.codes[0]?.code);
    expect(proven.status).toBe(200);
    const [own] = await locked.rows(
      'SELECT c.credential_id FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE u.username_key = ?',
      [locked.name],
    );
    expect(proven.text).toContain(String(own?.credential_id));
  });

  it('growing delays: answered after a timer that grows with the count, without blocking the event loop', async () => {
    const scale = 0.02;
    const env = await account({ auth: { failureDelayScale: scale } });
    await env.rows('UPDATE users SET failed_attempts = 6 WHERE username_key = ?', [env.name]);
    const expected = accountFailureDelayMs(6) * scale;
    expect(expected).toBeGreaterThan(accountFailureDelayMs(4) * scale);
    const client = env.client();
    const started = performance.now();
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 5);
    await signInPassword(client, env.captcha, env.name, 'still wrong');
    clearInterval(ticker);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(expected);
    expect(ticks).toBeGreaterThan(expected / 5 / 3);
  });

  it('an unknown username costs the same time as a known one, and gets the same answer', async () => {
    const env = await account({
      auth: { passwordHashParams: { N: 2 ** 14, r: 8, p: 1, keyLength: 32 } },
    });
    // Re-hash the known account's password at the heavier cost this test uses.
    const record = await env.deps.auth.passwordHasher.hash(PASSWORD);
    await env.rows('UPDATE users SET password_hash = ? WHERE username_key = ?', [record, env.name]);
    let sample = 0;
    // CPU time, not wall time: process.cpuUsage() counts the thread that runs scrypt, and a
    // busy machine delays a request without making it use more CPU.
    const time = async (username: string) => {
      const client = env.client();
      sample += 1;
      client.ip = `198.18.0.${sample}`;
      const before = process.cpuUsage();
      const { response } = await signInPassword(client, env.captcha, username, 'wrong guess');
      const used = process.cpuUsage(before);
      return { cpu: used.user + used.system, body: response.body, status: response.status };
    };
    // Samples alternate, and each starts from a clean failure count, so neither side meets a
    // CAPTCHA or a growing delay. The bounds are wide on purpose: an unknown name that skipped
    // the hash would use a small fraction of the CPU.
    let known = 0;
    let unknown = 0;
    for (let i = 0; i < 7; i += 1) {
      await env.rows('UPDATE users SET failed_attempts = 0 WHERE username_key = ?', [env.name]);
      const a = await time(env.name);
      const b = await time(`nobody${i}x`);
      expect(a.status).toBe(b.status);
      expect(a.body).toEqual(b.body);
      known += a.cpu;
      unknown += b.cpu;
    }
    const ratio = unknown / known;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('§5.2.2 CAPTCHA at sign-in', () => {
  it('is required after a few failures; a wrong CAPTCHA is answered the same whether the password was right or not', async () => {
    const env = await account();
    const client = env.client();
    for (let i = 0; i < 3; i += 1) await signInPassword(client, env.captcha, env.name, `bad ${i}`);
    const start = await client.post('/api/signin/start');
    const noCaptcha = await client.post('/api/signin/password', {
      attempt: start.body.attempt,
      username: env.name,
      password: PASSWORD,
    });
    expect(noCaptcha.status).toBe(400);
    expect(noCaptcha.body.error.code).toBe('captcha_required');
    const answers = [];
    for (const password of [PASSWORD, 'wrong one']) {
      const s = await client.post('/api/signin/start');
      const image = await client.post('/api/auth/captcha', { attempt: s.body.attempt });
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(image.headers.get('cache-control')).toContain('no-store');
      const r = await client.post('/api/signin/password', {
        attempt: s.body.attempt,
        username: env.name,
        password,
        captcha: 'WRONG1',
      });
      answers.push([r.status, r.body]);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]?.[0]).toBe(400);
  });

  it('the failure that makes it required says so, for known and unknown names alike, so the page shows it before the next try', async () => {
    const env = await account();
    const client = env.client();
    for (const name of [env.name, 'nobody-known']) {
      const flags = [];
      for (let i = 0; i < 3; i += 1) {
        client.ip = `198.18.7.${name.length}`;
        const { response } = await signInPassword(client, env.captcha, name, `bad ${i}`);
        expect(response.status).toBe(401);
        flags.push(response.body.error.details.captchaRequired);
      }
      expect(flags).toEqual([false, false, true]);
      client.ip = '198.18.8.1';
    }
  });

  it('is single use, bound to its attempt, and expires within minutes', async () => {
    const clock = new FakeClock(new Date());
    const env = await account({ clock });
    const client = env.client();
    for (let i = 0; i < 3; i += 1) await signInPassword(client, env.captcha, env.name, `bad ${i}`);
    const a = await client.post('/api/signin/start');
    const b = await client.post('/api/signin/start');
    // The right password each time: only the CAPTCHA decides.
    const passwordStep = (attempt: string, captcha: string) =>
      client.post('/api/signin/password', {
        attempt,
        username: env.name,
        password: PASSWORD,
        captcha,
      });
    await client.post('/api/auth/captcha', { attempt: a.body.attempt });
    const answerA = env.captcha.lastAnswer();
    // Bound to attempt a: useless on attempt b (which has none).
    const onB = await passwordStep(b.body.attempt, answerA);
    expect(onB.body.error.code).toBe('captcha_required');
    // Expired after 5 minutes.
    clock.advance(5 * 60_000 + 1);
    const late = await passwordStep(a.body.attempt, answerA);
    expect(late.body.error.code).toBe('captcha_expired');
    // Single use: a wrong answer uses it up, and the right one after it fails.
    await client.post('/api/auth/captcha', { attempt: a.body.attempt });
    const answer = env.captcha.lastAnswer();
    await passwordStep(a.body.attempt, 'NOPE42');
    const reuse = await passwordStep(a.body.attempt, answer);
    expect(reuse.body.error.code).toBe('captcha_required');
    // A fresh picture, answered in lower case with spaces: accepted.
    await client.post('/api/auth/captcha', { attempt: a.body.attempt });
    const fresh = env.captcha.lastAnswer().toLowerCase().split('').join(' ');
    const ok = await passwordStep(a.body.attempt, fresh);
    expect(ok.status).toBe(200);
  });

  it('is always required at sign-up', async () => {
    const env = authApp(testDb);
    const client = env.client();
    const start = await client.post('/api/signup/start');
    const r = await client.post('/api/signup/password', {
      attempt: start.body.attempt,
      username: uniqueName(),
      password: PASSWORD,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('captcha_required');
  });
});

describe('§5.2.2 per-IP limits', () => {
  it('a token bucket per client IP on every auth endpoint → 429 with Retry-After', async () => {
    const env = authApp(testDb, { auth: { ipBucket: { capacity: 3, refillPerSecond: 0.01 } } });
    const client = env.client();
    client.ip = '192.0.2.200';
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await client.post('/api/signin/start')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await client.post('/api/signup/start');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const elsewhere = new ApiClient(env.app, client.origin);
    elsewhere.ip = '192.0.2.201';
    expect((await elsewhere.post('/api/signin/start')).status).toBe(200);
    // The password change weighs a password too (before its session is even looked up).
    const changer = new ApiClient(env.app, client.origin);
    changer.ip = '192.0.2.202';
    const changes = [];
    for (let i = 0; i < 4; i += 1) {
      changes.push((await changer.post('/api/account/password', {})).status);
    }
    expect(changes).toEqual([401, 401, 401, 429]);
  });

  it('H after a success, forgets that IP’s earlier failures (that IP only)', async () => {
    const env = await account();
    const other = await (async () => {
      const name = uniqueName();
      const { key } = await signUp(env.client(), env.captcha, name, PASSWORD);
      return { name, key };
    })();
    const mine = env.client();
    mine.ip = '198.51.100.50';
    const theirs = env.client();
    theirs.ip = '198.51.100.51';
    // Three failures from each IP against a name that does not exist.
    for (let i = 0; i < 3; i += 1) {
      await signInPassword(mine, env.captcha, 'ghost-name', `x${i}`);
      await signInPassword(theirs, env.captcha, 'ghost-name', `x${i}`);
    }
    const needsCaptcha = async (client: ApiClient, name: string) => {
      const s = await client.post('/api/signin/start');
      const r = await client.post('/api/signin/password', {
        attempt: s.body.attempt,
        username: name,
        password: 'x',
      });
      return r.body?.error?.code === 'captcha_required';
    };
    expect(await needsCaptcha(mine, other.name)).toBe(true);
    expect((await signIn(mine, env.captcha, other.name, PASSWORD, other.key)).status).toBe(200);
    expect(await needsCaptcha(mine, env.name)).toBe(false);
    expect(await needsCaptcha(theirs, env.name)).toBe(true);
  });
});
