import { describe, expect, it } from 'vitest';
import { ApiClient, attemptWithCaptcha, signIn, signUp } from '../../test/support/api-client.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { SoftAuthenticator } from '../../test/support/soft-authenticator.js';
import { buildTestApp } from '../../test/support/test-app.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { normalizePassword } from '../auth/password-policy.js';

const testDb = useTestDatabase();
const ORIGIN = 'http://localhost:3000';

function setup() {
  const clock = new FakeClock();
  const built = buildTestApp(testDb.database, { clock, config: { publicOrigin: ORIGIN } });
  return { ...built, clock, client: new ApiClient(built.app, ORIGIN) };
}

async function rows(sql: string, params: unknown[] = []) {
  const [result] = await testDb.database.pool.query(sql, params);
  return result as Record<string, unknown>[];
}

describe('sign-up (§6.1.1 enrollment in steps)', () => {
  it('binds password, key and codes, then starts a full session', async () => {
    const { client, captcha } = setup();
    const { codes } = await signUp(client, captcha, 'alice', 'correct horse battery staple');
    expect(codes).toHaveLength(10);
    expect(codes.map((c) => c.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const session = await client.get('/api/session');
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ username: 'alice', kind: 'full' });
    const [user] = await rows('SELECT * FROM users WHERE username_key = ?', ['alice']);
    expect(String(user?.password_hash)).toMatch(/^\$scrypt/);
  });

  it('an abandoned sign-up leaves no user row, and each step needs the attempt secret', async () => {
    const { client, captcha } = setup();
    const { attempt, answer } = await attemptWithCaptcha(client, captcha, 'signup');
    const step1 = await client.post('/api/signup/password', {
      attempt,
      username: 'abandoner',
      password: 'tulip marble saxophone',
      captcha: answer,
    });
    expect(step1.status).toBe(200);
    expect(await rows('SELECT id FROM users WHERE username_key = ?', ['abandoner'])).toEqual([]);
    const forged = await client.post('/api/signup/key/options', { attempt: 'A'.repeat(43) });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('attempt_expired');
  });

  it('signs in with password and key afterwards', async () => {
    const { client, captcha } = setup();
    const { key } = await signUp(client, captcha, 'bob', 'violet cactus umbrella');
    const other = new ApiClient(client.app, ORIGIN);
    const result = await signIn(other, captcha, 'bob', 'violet cactus umbrella', key);
    expect(result.status).toBe(200);
    expect(result.body.kind).toBe('full');
    expect(normalizePassword('x')).toBe('x');
  });

  it('refuses a second account with the same name in another case', async () => {
    const { client, captcha } = setup();
    await signUp(client, captcha, 'Carol', 'orange kettle whisper');
    const again = new ApiClient(client.app, ORIGIN);
    await expect(
      signUp(again, captcha, 'carol', 'orange kettle whisper 2', new SoftAuthenticator(ORIGIN)),
    ).rejects.toThrow(/409/);
  });
});
