import { describe, expect, it } from 'vitest';
import { signIn, signInPassword, signUp } from '../../test/support/api-client.js';
import { authApp, ORIGIN, uniqueName } from '../../test/support/auth-fixture.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { SoftAuthenticator } from '../../test/support/soft-authenticator.js';
import { useTestDatabase } from '../../test/support/test-database.js';

const testDb = useTestDatabase();

const PASSWORD = 'marmalade satellite chorus';

async function account(clock?: FakeClock) {
  const env = authApp(testDb, clock ? { clock } : {});
  const name = uniqueName();
  const me = env.client();
  const signedUp = await signUp(me, env.captcha, name, PASSWORD);
  return { ...env, name, me, ...signedUp };
}

describe('§5.1.2 recovery codes', () => {
  it('5.1.2.1: ten codes of 80 random bits, delivered once with Cache-Control: no-store', async () => {
    const env = authApp(testDb);
    const client = env.client();
    const start = await client.post('/api/signup/start');
    const attempt = start.body.attempt;
    await client.post('/api/auth/captcha', { attempt });
    const step1 = await client.post('/api/signup/password', {
      attempt,
      username: uniqueName(),
      password: PASSWORD,
      captcha: env.captcha.lastAnswer(),
    });
    const key = new SoftAuthenticator(ORIGIN);
    const step2 = await client.post('/api/signup/key', {
      attempt,
      response: await key.register(step1.body.options),
    });
    expect(step2.headers.get('cache-control')).toContain('no-store');
    const codes = step2.body.recoveryCodes as { number: number; code: string }[];
    expect(codes).toHaveLength(10);
    for (const { code } of codes)
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Set(codes.map((c) => c.code)).size).toBe(10);
    // Cannot be fetched again: the key step is over.
    const again = await client.post('/api/signup/key', {
      attempt,
      response: await key.register(step1.body.options),
    });
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).not.toContain(codes[0]?.code);
  });

  it('5.1.2.2: stored salted and hashed with a KDF, never in the clear', async () => {
    const { rows, codes, name } = await account();
    const stored = await rows(
      'SELECT code_hash FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.username_key = ?',
      [name],
    );
    expect(stored).toHaveLength(10);
    for (const row of stored) expect(String(row.code_hash)).toMatch(/^\$scrypt-hmac-sha256\$/);
    const all = JSON.stringify(stored);
    for (const { code } of codes) expect(all).not.toContain(code.replace(/-/g, ''));
  });

  it('5.1.2.2: sign-in asks for one specific numbered code; a valid code of another number → 401', async () => {
    const { captcha, codes, name, client: newClient } = await account();
    const client = newClient();
    const { attempt, response } = await signInPassword(client, captcha, name, PASSWORD);
    const asked = response.body.recoveryCodeNumber as number;
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(asked).toBeLessThanOrEqual(10);
    const other = codes.find((c) => c.number !== asked)?.code;
    const wrong = await client.post('/api/signin/recovery-code', { attempt, code: other });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('recovery_code_wrong');
  });

  it('a mistyped recovery code keeps the code step: a new attempt asks for another number (each counted), three times per password step', async () => {
    const env = await account();
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    let current = attempt;
    let asked = response.body.recoveryCodeNumber as number;
    for (let i = 0; i < 3; i += 1) {
      const wrong = await client.post('/api/signin/recovery-code', {
        attempt: current,
        code: '0000-0000-0000-0000',
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('recovery_code_wrong');
      const next = wrong.body.error.details as { attempt: string; recoveryCodeNumber: number };
      expect(next.recoveryCodeNumber).not.toBe(asked);
      // The old attempt is used up.
      const again = await client.post('/api/signin/recovery-code', { attempt: current, code: 'x' });
      expect(again.body.error.code).toBe('attempt_expired');
      current = next.attempt;
      asked = next.recoveryCodeNumber;
    }
    const [row] = await env.rows('SELECT failed_attempts FROM users WHERE username_key = ?', [
      env.name,
    ]);
    expect(Number(row?.failed_attempts)).toBe(3);
    // The fourth mistake ends the attempt: back to the password.
    const last = await client.post('/api/signin/recovery-code', {
      attempt: current,
      code: '0000-0000-0000-0000',
    });
    expect(last.body.error.code).toBe('sign_in_failed');
    expect(last.body.error.details).toBeUndefined();
    // A right code on a retry attempt signs in (rebind).
    const second = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const miss = await client.post('/api/signin/recovery-code', {
      attempt: second.attempt,
      code: '0000-0000-0000-0000',
    });
    const retry = miss.body.error.details as { attempt: string; recoveryCodeNumber: number };
    const code = env.codes.find((c) => c.number === retry.recoveryCodeNumber)?.code;
    const ok = await client.post('/api/signin/recovery-code', { attempt: retry.attempt, code });
    expect(ok.status).toBe(200);
    expect(ok.body.kind).toBe('rebind');
  });

  it('5.1.2.2: each code works once; two parallel uses → exactly one succeeds', async () => {
    const env = await account();
    // Two attempts asking for the same number.
    const attempts: { attempt: string; number: number; client: ReturnType<typeof env.client> }[] =
      [];
    while (attempts.length < 2) {
      const client = env.client();
      const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
      const number = response.body.recoveryCodeNumber as number;
      if (attempts.length === 0 || attempts[0]?.number === number)
        attempts.push({ attempt, number, client });
    }
    const code = env.codes.find((c) => c.number === attempts[0]?.number)?.code;
    const results = await Promise.all(
      attempts.map((a) => a.client.post('/api/signin/recovery-code', { attempt: a.attempt, code })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    // Used: asked again later (same number forced via the row), it fails.
    const used = await env.rows(
      'SELECT COUNT(*) AS n FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.username_key = ? AND used_at IS NOT NULL',
      [env.name],
    );
    expect(Number(used[0]?.n)).toBe(1);
    const client = env.client();
    const { attempt } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    await env.rows(
      'UPDATE auth_attempts SET recovery_code_number = ? WHERE kind = ? AND step = ?',
      [attempts[0]?.number, 'signin', 'second'],
    );
    const reuse = await client.post('/api/signin/recovery-code', { attempt, code });
    expect(reuse.status).toBe(401);
  });

  it('5.1.2.2: one attempt allows one second-factor try, even to parallel requests', async () => {
    const env = await account();
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const code = env.codes.find((c) => c.number === response.body.recoveryCodeNumber)?.code;
    const tries = ['0000-0000-0000-0000', '1111-1111-1111-1111', code, '2222-2222-2222-2222'];
    const results = await Promise.all(
      tries.map((guess) =>
        env.client().post('/api/signin/recovery-code', { attempt, code: guess }),
      ),
    );
    // Whichever request took the attempt was weighed; the others were not.
    const weighed = results.filter((r) => r.body.error?.code !== 'attempt_expired');
    expect(weighed).toHaveLength(1);
    const [row] = await env.rows('SELECT failed_attempts FROM users WHERE username_key = ?', [
      env.name,
    ]);
    const [used] = await env.rows(
      'SELECT COUNT(*) AS n FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.username_key = ? AND used_at IS NOT NULL',
      [env.name],
    );
    const signedIn = weighed[0]?.status === 200;
    expect(Number(row?.failed_attempts)).toBe(signedIn ? 0 : 1);
    expect(Number(used?.n)).toBe(signedIn ? 1 : 0);
  });

  it('§6.1.2.3 lost key: password + code → a session that may only bind a key; then new codes, full session, old key revocable', async () => {
    const env = await account();
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const code = env.codes.find((c) => c.number === response.body.recoveryCodeNumber)?.code;
    const session = await client.post('/api/signin/recovery-code', { attempt, code });
    expect(session.body.kind).toBe('rebind');
    const rebindCookie = client.cookie;
    expect((await client.post('/api/account/recovery-codes')).body.error.code).toBe(
      'session_restricted',
    );
    expect((await client.post('/api/session/logout-everywhere')).status).toBe(403);
    const options = await client.post('/api/account/keys/options');
    expect(options.status).toBe(200);
    const newKey = new SoftAuthenticator(ORIGIN);
    const bound = await client.post('/api/account/keys', {
      attempt: options.body.attempt,
      response: await newKey.register(options.body.options),
      keyName: 'New key',
    });
    expect(bound.status).toBe(200);
    expect(bound.body.recoveryCodes).toHaveLength(10);
    expect(bound.body.session.kind).toBe('full');
    expect(client.cookie).not.toBe(rebindCookie);
    client.csrf = bound.body.session.csrfToken;
    // The old codes are gone; the new ones work.
    const info = await client.get('/api/account');
    expect(info.body.recoveryCodesLeft).toBe(10);
    const oldKey = info.body.keys.find((k: { name: string }) => k.name === 'Test key');
    expect((await client.call('DELETE', `/api/account/keys/${oldKey.id}`)).status).toBe(204);
    const rows = await env.rows('SELECT revoked_at FROM webauthn_credentials WHERE id = ?', [
      oldKey.id,
    ]);
    expect(rows[0]?.revoked_at).not.toBeNull();
    // The old key no longer signs in; the new one does.
    expect((await signIn(env.client(), env.captcha, env.name, PASSWORD, env.key)).status).toBe(401);
    expect((await signIn(env.client(), env.captcha, env.name, PASSWORD, newKey)).status).toBe(200);
    const types = (
      await env.rows(
        'SELECT type FROM security_events e JOIN users u ON u.id = e.user_id WHERE u.username_key = ?',
        [env.name],
      )
    ).map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'recovery_code_used',
        'sign_in_with_recovery_code',
        'key_bound',
        'key_revoked',
        'recovery_codes_issued',
      ]),
    );
  });
});

describe('§6.1.2.1 a recovery sign-in binds a key only while it is recent', () => {
  it('a rebind session older than 15 minutes cannot bind a key: recover again', async () => {
    const clock = new FakeClock(new Date());
    const env = await account(clock);
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const code = env.codes.find((c) => c.number === response.body.recoveryCodeNumber)?.code;
    const session = await client.post('/api/signin/recovery-code', { attempt, code });
    expect(session.body.kind).toBe('rebind');
    clock.advance(15 * 60_000 + 1_000);
    const late = await client.post('/api/account/keys/options');
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('recovery_expired');
  });
});

describe('§5.1.7 security key and §4.2.2 AAL2', () => {
  it('4.2.2: offers and verifies only ES256, ES384, EdDSA, RS256; no UV asked; attestation none; RP id is the hostname', async () => {
    const env = authApp(testDb);
    const client = env.client();
    const start = await client.post('/api/signup/start');
    await client.post('/api/auth/captcha', { attempt: start.body.attempt });
    const step1 = await client.post('/api/signup/password', {
      attempt: start.body.attempt,
      username: uniqueName(),
      password: PASSWORD,
      captcha: env.captcha.lastAnswer(),
    });
    const options = step1.body.options;
    expect(options.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toEqual([
      -7, -35, -8, -257,
    ]);
    expect(options.authenticatorSelection.userVerification).toBe('discouraged');
    expect(options.attestation).toBe('none');
    expect(options.rp.id).toBe('localhost');
    // 5.1.7.2: the challenge has at least 64 bits (here 256).
    expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(8);
  });

  it('4.2.2 H / 5.1.7.1: an assertion or registration without user presence is rejected', async () => {
    const env = await account();
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const noTouch = await env.key.assert(response.body.options, { userPresent: false });
    expect((await client.post('/api/signin/key', { attempt, response: noTouch })).status).toBe(401);
    const signup = authApp(testDb);
    const c2 = signup.client();
    const s = await c2.post('/api/signup/start');
    await c2.post('/api/auth/captcha', { attempt: s.body.attempt });
    const p = await c2.post('/api/signup/password', {
      attempt: s.body.attempt,
      username: uniqueName(),
      password: PASSWORD,
      captcha: signup.captcha.lastAnswer(),
    });
    const reg = await new SoftAuthenticator(ORIGIN).register(p.body.options, {
      userPresent: false,
    });
    expect(
      (await c2.post('/api/signup/key', { attempt: s.body.attempt, response: reg })).status,
    ).toBe(400);
  });

  it('4.2.2 replay resistance: a replayed assertion → 401; a non-increasing counter → 401', async () => {
    const env = await account();
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const assertion = await env.key.assert(response.body.options);
    expect((await client.post('/api/signin/key', { attempt, response: assertion })).status).toBe(
      200,
    );
    const again = env.client();
    const second = await signInPassword(again, env.captcha, env.name, PASSWORD);
    expect(
      (await again.post('/api/signin/key', { attempt: second.attempt, response: assertion }))
        .status,
    ).toBe(401);
    const third = env.client();
    const t = await signInPassword(third, env.captcha, env.name, PASSWORD);
    const cloned = await env.key.assert(t.response.body.options, { freezeCounter: true });
    expect(
      (await third.post('/api/signin/key', { attempt: t.attempt, response: cloned })).status,
    ).toBe(401);
  });

  it('5.1.7.2: a challenge is single use and expires after 2 minutes', async () => {
    const clock = new FakeClock(new Date());
    const env = await account(clock);
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    clock.advance(2 * 60_000 + 1_000);
    const late = await client.post('/api/signin/key', {
      attempt,
      response: await env.key.assert(response.body.options),
    });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe('challenge_expired');
    const fresh = await client.post('/api/signin/key/options', { attempt });
    const used = await client.post('/api/signin/key', {
      attempt,
      response: await env.key.assert(fresh.body.options),
    });
    expect(used.status).toBe(200);
  });

  it('expected origin is the configured origin exactly: another origin → 401', async () => {
    const env = await account();
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, env.name, PASSWORD);
    const assertion = await env.key.assert(response.body.options, {
      origin: 'http://localhost:3001',
    });
    expect((await client.post('/api/signin/key', { attempt, response: assertion })).status).toBe(
      401,
    );
  });

  it('§6.1: a record of each key bound (when, from where); excludeCredentials lists it; revocation keeps the row', async () => {
    const env = await account();
    const [row] = await env.rows(
      'SELECT c.* FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE u.username_key = ?',
      [env.name],
    );
    expect(row).toMatchObject({
      created_ip: '198.51.100.10',
      created_user_agent: 'parley-api-test',
      name: 'Test key',
    });
    expect(row?.created_at).toBeInstanceOf(Date);
    const options = await env.me.post('/api/account/keys/options');
    expect(options.body.options.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([
      row?.credential_id,
    ]);
    // There is no route that changes a stored key: only DELETE (revoke) exists.
    expect(
      (await env.me.call('PUT', `/api/account/keys/${row?.id}`, { publicKey: 'x' })).status,
    ).toBe(404);
    expect(
      (await env.me.call('PATCH', `/api/account/keys/${row?.id}`, { publicKey: 'x' })).status,
    ).toBe(404);
    // The only key cannot be removed.
    expect((await env.me.call('DELETE', `/api/account/keys/${row?.id}`)).status).toBe(409);
  });

  it('§6.1.2.1: binding another key needs a recent authentication; the binding is logged', async () => {
    const clock = new FakeClock(new Date());
    const env = await account(clock);
    clock.advance(16 * 60_000);
    const stale = await env.me.post('/api/account/keys/options');
    expect(stale.status).toBe(403);
    expect(stale.body.error.code).toBe('reauth_required');
    expect((await env.me.post('/api/session/reauth', { password: PASSWORD })).status).toBe(200);
    const options = await env.me.post('/api/account/keys/options');
    const second = new SoftAuthenticator(ORIGIN);
    const bound = await env.me.post('/api/account/keys', {
      attempt: options.body.attempt,
      response: await second.register(options.body.options),
      keyName: 'Backup',
    });
    expect(bound.status).toBe(200);
    const info = await env.me.get('/api/account');
    expect(info.body.keys.map((k: { name: string }) => k.name)).toEqual(['Test key', 'Backup']);
    expect(info.body.events.map((e: { type: string }) => e.type)).toContain('key_bound');
  });

  it('errors never say whether the username exists', async () => {
    const env = await account();
    const a = await signInPassword(env.client(), env.captcha, env.name, 'wrong password');
    const b = await signInPassword(env.client(), env.captcha, 'no-such-user', 'wrong password');
    expect(a.response.status).toBe(b.response.status);
    expect(a.response.body).toEqual(b.response.body);
  });
});
