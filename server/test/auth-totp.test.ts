/**
 * The authenticator app (TOTP) as a second factor (NIST SP 800-63B §5.1.4; issue 10, item 4).
 * Codes come from an independent implementation (test support on @noble/hashes), the clock is
 * fake, the database real.
 */
import { describe, expect, it } from 'vitest';
import {
  type ApiClient,
  attemptWithCaptcha,
  signInPassword,
  signUp,
} from '../../test/support/api-client.js';
import { authApp, uniqueName } from '../../test/support/auth-fixture.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { base32Decode, referenceTotp, totpStepOf } from '../../test/support/totp-reference.js';
import { createSecretSealer } from '../auth/secret-sealer.js';
import { systemRandom } from '../random.js';

const testDb = useTestDatabase();

const PASSWORD = 'walrus compass afternoon';
const STEP = 30_000;

type Env = ReturnType<typeof authApp>;

/** The whole sign-up with an authenticator app instead of a key. */
async function signUpWithApp(env: Env, client: ApiClient, name: string) {
  const { attempt, answer } = await attemptWithCaptcha(client, env.captcha, 'signup');
  const password = await client.post('/api/signup/password', {
    attempt,
    username: name,
    password: PASSWORD,
    captcha: answer,
  });
  expect(password.status).toBe(200);
  const enrol = await client.post('/api/signup/totp/options', { attempt });
  expect(enrol.status).toBe(200);
  expect(enrol.headers.get('cache-control')).toContain('no-store');
  const uri = new URL(enrol.body.uri as string);
  expect(uri.protocol).toBe('otpauth:');
  expect(uri.searchParams.get('algorithm')).toBe('SHA1');
  expect(uri.searchParams.get('digits')).toBe('6');
  expect(uri.searchParams.get('period')).toBe('30');
  expect(uri.searchParams.get('secret')).toBe(enrol.body.secret);
  const secret = base32Decode(enrol.body.secret as string);
  const code = referenceTotp(secret, totpStepOf(env.clock.now().getTime()));
  const confirm = await client.post('/api/signup/totp', { attempt, code });
  expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
  const finish = await client.post('/api/signup/finish', { attempt, savedCodes: true });
  expect(finish.status).toBe(200);
  return {
    secret,
    secretBase32: enrol.body.secret as string,
    codes: confirm.body.recoveryCodes as { number: number; code: string }[],
  };
}

/** Password, then an authenticator code: the response of the code step. */
async function signInWithCode(env: Env, client: ApiClient, name: string, code: string) {
  const { attempt, response } = await signInPassword(client, env.captcha, name, PASSWORD);
  expect(response.status).toBe(200);
  expect(response.body.factors).toEqual({ key: false, totp: true });
  return client.post('/api/signin/totp', { attempt, code });
}

const codeAt = (env: Env, secret: Uint8Array, stepOffset: number) =>
  referenceTotp(secret, totpStepOf(env.clock.now().getTime()) + stepOffset);

async function failures(env: Env, name: string) {
  const [row] = await env.rows(
    'SELECT failed_attempts, locked_at FROM users WHERE username_key = ?',
    [name],
  );
  return { count: Number(row?.failed_attempts), locked: row?.locked_at !== null };
}

describe('§5.1.4 authenticator app (TOTP)', () => {
  it('enrols with a code of an independent implementation (160-bit secret, SHA-1, 6 digits, 30 s); signs in; a code replayed in its window is refused', async () => {
    const env = authApp(testDb, { clock: new FakeClock('2026-03-01T10:00:05Z') });
    const name = uniqueName('app');
    const { secret } = await signUpWithApp(env, env.client(), name);
    expect(secret.length * 8).toBe(160);
    // The enrolment's own code is used up too: it cannot sign in.
    const enrolCode = codeAt(env, secret, 0);
    expect((await signInWithCode(env, env.client(), name, enrolCode)).status).toBe(401);
    env.clock.advance(STEP);
    const client = env.client();
    const code = codeAt(env, secret, 0);
    const ok = await signInWithCode(env, client, name, code);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.kind).toBe('full');
    expect((await client.get('/api/account')).status).toBe(200);
    // The same code, 10 s later, still inside its step: refused.
    env.clock.advance(10_000);
    const replay = await signInWithCode(env, env.client(), name, code);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('sign_in_failed');
    const events = await env.rows(
      "SELECT e.type, e.detail FROM security_events e JOIN users u ON u.id = e.user_id WHERE u.username_key = ? AND e.type IN ('totp_bound', 'sign_in')",
      [name],
    );
    expect(events.map((e) => e.type)).toContain('totp_bound');
    expect(events.map((e) => e.detail)).toContain('password + authenticator app');
  });

  it('accepts one step of drift either way and refuses two; a wrong enrolment code binds nothing', async () => {
    const env = authApp(testDb, { clock: new FakeClock('2026-03-01T11:00:05Z') });
    const name = uniqueName('drift');
    // Enrolment: a code two steps off does not confirm, and the attempt stays for the next.
    const client = env.client();
    const { attempt, answer } = await attemptWithCaptcha(client, env.captcha, 'signup');
    await client.post('/api/signup/password', {
      attempt,
      username: name,
      password: PASSWORD,
      captcha: answer,
    });
    const enrol = await client.post('/api/signup/totp/options', { attempt });
    const secret = base32Decode(enrol.body.secret);
    const late = await client.post('/api/signup/totp', { attempt, code: codeAt(env, secret, 2) });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe('totp_wrong');
    const confirm = await client.post('/api/signup/totp', {
      attempt,
      code: codeAt(env, secret, 0),
    });
    expect(confirm.status).toBe(200);
    expect((await client.post('/api/signup/finish', { attempt, savedCodes: true })).status).toBe(
      200,
    );

    env.clock.advance(10 * STEP);
    // −2 and +2 refused (each a failure), −1 then +1 accepted (each a later step).
    expect((await signInWithCode(env, env.client(), name, codeAt(env, secret, -2))).status).toBe(
      401,
    );
    expect((await signInWithCode(env, env.client(), name, codeAt(env, secret, 2))).status).toBe(
      401,
    );
    expect((await signInWithCode(env, env.client(), name, codeAt(env, secret, -1))).status).toBe(
      200,
    );
    expect((await signInWithCode(env, env.client(), name, codeAt(env, secret, 1))).status).toBe(
      200,
    );
    // After +1 was accepted, the current step (earlier than it) is refused: once per step, in order.
    expect((await signInWithCode(env, env.client(), name, codeAt(env, secret, 0))).status).toBe(
      401,
    );
  });

  it('parallel uses of one code: exactly one signs in', async () => {
    const env = authApp(testDb, { clock: new FakeClock('2026-03-01T12:00:05Z') });
    const name = uniqueName('race');
    const { secret } = await signUpWithApp(env, env.client(), name);
    env.clock.advance(STEP);
    const code = codeAt(env, secret, 0);
    const steps = [];
    for (let i = 0; i < 4; i += 1) {
      const client = env.client();
      client.ip = `198.51.100.${100 + i}`;
      const { attempt } = await signInPassword(client, env.captcha, name, PASSWORD);
      steps.push({ client, attempt });
    }
    const results = await Promise.all(
      steps.map((s) => s.client.post('/api/signin/totp', { attempt: s.attempt, code })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401]);
  });

  it('100 wrong codes lock the account (each counts toward §5.2.2)', async () => {
    const env = authApp(testDb, { clock: new FakeClock('2026-03-01T13:00:05Z') });
    const name = uniqueName('guess');
    const { secret } = await signUpWithApp(env, env.client(), name);
    const right = new Set([-1, 0, 1].map((d) => codeAt(env, secret, d)));
    let guess = 0;
    for (let i = 0; i < 100; i += 1) {
      while (right.has(String(guess).padStart(6, '0'))) guess += 1;
      const r = await signInWithCode(env, env.client(), name, String(guess).padStart(6, '0'));
      expect(r.status, `guess ${i}`).toBe(401);
      guess += 1;
    }
    expect(await failures(env, name)).toEqual({ count: 100, locked: true });
    env.clock.advance(STEP);
    const { response } = await signInPassword(env.client(), env.captcha, name, PASSWORD);
    expect(response.status).toBe(423);
  }, 90_000);

  it('the secret in the database is not the secret: sealed with AES-256-GCM under a key outside the database', async () => {
    const env = authApp(testDb, { clock: new FakeClock('2026-03-01T14:00:05Z') });
    const name = uniqueName('sealed');
    const { secret, secretBase32 } = await signUpWithApp(env, env.client(), name);
    const [row] = await env.rows(
      'SELECT t.secret_sealed FROM totp_authenticators t JOIN users u ON u.id = t.user_id WHERE u.username_key = ?',
      [name],
    );
    const sealed = String(row?.secret_sealed);
    const hex = Buffer.from(secret).toString('hex');
    const b64 = Buffer.from(secret).toString('base64url');
    for (const plain of [secretBase32, hex, b64]) {
      expect(sealed.toLowerCase()).not.toContain(plain.toLowerCase().slice(0, 12));
    }
    // It opens only under the app's key.
    expect(Buffer.from(env.deps.auth.totpSealer.open(sealed))).toEqual(Buffer.from(secret));
    const otherKey = createSecretSealer(systemRandom.bytes(32), systemRandom);
    expect(() => otherKey.open(sealed)).toThrow();
    // Nothing shows it again: not the account page, not a new enrolment while one is bound.
    const client = env.client();
    env.clock.advance(STEP);
    expect((await signInWithCode(env, client, name, codeAt(env, secret, 0))).status).toBe(200);
    const account = await client.get('/api/account');
    expect(JSON.stringify(account.body)).not.toContain(secretBase32);
    expect(account.body.totp).toMatchObject({ createdAt: expect.any(String) });
    const again = await client.post('/api/account/totp/options');
    expect(again.status).toBe(409);
  });

  it('an app-only user who lost the phone: a recovery-code sign-in binds a new app in place of the lost one', async () => {
    const env = authApp(testDb, { clock: new FakeClock('2026-03-01T16:00:05Z') });
    const name = uniqueName('phone');
    const { secret: lost, codes } = await signUpWithApp(env, env.client(), name);
    env.clock.advance(STEP);
    const client = env.client();
    const { attempt, response } = await signInPassword(client, env.captcha, name, PASSWORD);
    expect(response.body.factors).toEqual({ key: false, totp: true });
    const number = response.body.recoveryCodeNumber as number;
    const code = codes.find((c) => c.number === number)?.code;
    const rebind = await client.post('/api/signin/recovery-code', { attempt, code });
    expect(rebind.body.kind).toBe('rebind');
    // Before: 409 "already set up", and the recovery session could not remove it: stuck.
    const enrol = await client.post('/api/account/totp/options');
    expect(enrol.status, JSON.stringify(enrol.body)).toBe(200);
    const fresh = base32Decode(enrol.body.secret);
    const bound = await client.post('/api/account/totp', {
      attempt: enrol.body.attempt,
      code: codeAt(env, fresh, 0),
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    expect(bound.body.session.kind).toBe('full');
    expect(bound.body.recoveryCodes).toHaveLength(10);
    // The lost phone's codes no longer sign in; the new app's do.
    env.clock.advance(STEP);
    expect((await signInWithCode(env, env.client(), name, codeAt(env, lost, 0))).status).toBe(401);
    env.clock.advance(STEP);
    const again = await signInWithCode(env, env.client(), name, codeAt(env, fresh, 0));
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const apps = await env.rows(
      'SELECT t.revoked_at FROM totp_authenticators t JOIN users u ON u.id = t.user_id WHERE u.username_key = ? ORDER BY t.id',
      [name],
    );
    expect(apps.map((row) => row.revoked_at !== null)).toEqual([true, false]);
    const events = await env.rows(
      "SELECT e.detail FROM security_events e JOIN users u ON u.id = e.user_id WHERE u.username_key = ? AND e.type = 'totp_revoked'",
      [name],
    );
    expect(events.map((e) => e.detail)).toEqual([
      'authenticator app replaced after a recovery-code sign-in',
    ]);
    // Outside a recovery session a second app is still refused.
    const other = env.client();
    env.clock.advance(STEP);
    expect((await signInWithCode(env, other, name, codeAt(env, fresh, 0))).status).toBe(200);
    expect((await other.post('/api/account/totp/options')).status).toBe(409);
  });

  it('a recovery-code sign-in can bind an authenticator app instead of a key: then new codes and a full session', async () => {
    const env = authApp(testDb, { clock: new FakeClock('2026-03-01T15:00:05Z') });
    const name = uniqueName('lost');
    const client = env.client();
    const { key, codes } = await signUp(client, env.captcha, name, PASSWORD);
    const { attempt, response } = await signInPassword(client, env.captcha, name, PASSWORD);
    expect(response.body.factors).toEqual({ key: true, totp: false });
    const number = response.body.recoveryCodeNumber as number;
    const code = codes.find((c) => c.number === number)?.code;
    const rebind = await client.post('/api/signin/recovery-code', { attempt, code });
    expect(rebind.body.kind).toBe('rebind');
    const enrol = await client.post('/api/account/totp/options');
    expect(enrol.status).toBe(200);
    const secret = base32Decode(enrol.body.secret);
    const bound = await client.post('/api/account/totp', {
      attempt: enrol.body.attempt,
      code: codeAt(env, secret, 0),
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    expect(bound.body.recoveryCodes).toHaveLength(10);
    expect(bound.body.session.kind).toBe('full');
    client.csrf = bound.body.session.csrfToken;
    // The lost key can now go, the app being the other factor (within minutes of sign-in).
    const account = await client.get('/api/account');
    const keyId = account.body.keys[0].id as number;
    expect((await client.call('DELETE', `/api/account/keys/${keyId}`)).status).toBe(204);
    // The app is now the last factor: it cannot be removed.
    const last = await client.call('DELETE', '/api/account/totp');
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('last_key');
    expect(key.credentials).toHaveLength(1);
  });
});
