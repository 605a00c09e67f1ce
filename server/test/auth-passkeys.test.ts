/**
 * Passkeys (issue 10, item 5; §5.1.7.1 and NIST's supplement on syncable authenticators): a
 * key that may be synced is refused unless the operator allows it (SYNCED_PASSKEYS=allow); the
 * account page tells for each key whether it is device-bound or synced. And the removal rules
 * of item 6: renaming, and removal only right after an authentication.
 */
import { describe, expect, it } from 'vitest';
import { attemptWithCaptcha, signIn, signUp } from '../../test/support/api-client.js';
import { authApp, uniqueName } from '../../test/support/auth-fixture.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { SoftAuthenticator } from '../../test/support/soft-authenticator.js';
import { useTestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../config.js';
import { packageRoot } from '../paths.js';

const testDb = useTestDatabase();

const PASSWORD = 'walrus compass afternoon';

async function signUpWith(
  env: ReturnType<typeof authApp>,
  key: SoftAuthenticator,
  synced: boolean,
) {
  const client = env.client();
  const { attempt, answer } = await attemptWithCaptcha(client, env.captcha, 'signup');
  const step1 = await client.post('/api/signup/password', {
    attempt,
    username: uniqueName('pk'),
    password: PASSWORD,
    captcha: answer,
  });
  const response = await key.register(step1.body.options, { synced });
  return client.post('/api/signup/key', { attempt, response, keyName: 'Phone' });
}

describe('§5.1.7.1 passkeys: device-bound only, unless the operator allows synced ones', () => {
  it('the setting is SYNCED_PASSKEYS=allow, off by default', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, packageRoot()).auth.syncedPasskeys).toBe(false);
    expect(
      loadConfig({ NODE_ENV: 'production', SYNCED_PASSKEYS: 'allow' }, packageRoot()).auth
        .syncedPasskeys,
    ).toBe(true);
  });

  it('a synced (backup-eligible) passkey is refused by default and accepted when allowed; the account page shows device-bound or synced per key', async () => {
    const strict = authApp(testDb);
    const refused = await signUpWith(strict, new SoftAuthenticator(strict.client().origin), true);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('synced_key_refused');

    const lenient = authApp(testDb, { auth: { syncedPasskeys: true } });
    const client = lenient.client();
    const name = uniqueName('synced');
    const synced = new SoftAuthenticator(client.origin);
    const { attempt, answer } = await attemptWithCaptcha(client, lenient.captcha, 'signup');
    const step1 = await client.post('/api/signup/password', {
      attempt,
      username: name,
      password: PASSWORD,
      captcha: answer,
    });
    const reg = await client.post('/api/signup/key', {
      attempt,
      response: await synced.register(step1.body.options, { synced: true }),
      keyName: 'Phone passkey',
    });
    expect(reg.status).toBe(200);
    expect((await client.post('/api/signup/finish', { attempt, savedCodes: true })).status).toBe(
      200,
    );
    // A second, device-bound key.
    const options = await client.post('/api/account/keys/options');
    const bound = await client.post('/api/account/keys', {
      attempt: options.body.attempt,
      response: await new SoftAuthenticator(client.origin).register(options.body.options),
      keyName: 'USB key',
    });
    expect(bound.status).toBe(200);
    const account = await client.get('/api/account');
    expect(
      account.body.keys.map((k: { name: string; storage: string }) => [k.name, k.storage]),
    ).toEqual([
      ['Phone passkey', 'synced'],
      ['USB key', 'device-bound'],
    ]);
    const rows = await lenient.rows(
      'SELECT c.device_type, c.backed_up FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE u.username_key = ? ORDER BY c.id',
      [name],
    );
    expect(rows.map((r) => [r.device_type, Number(r.backed_up)])).toEqual([
      ['multiDevice', 1],
      ['singleDevice', 0],
    ]);
    // The synced passkey signs in.
    expect((await signIn(lenient.client(), lenient.captcha, name, PASSWORD, synced)).status).toBe(
      200,
    );
  });
});

describe('managing keys (issue 10, item 5)', () => {
  it('a key can be renamed; removing one needs an authentication in the last 5 minutes (refused otherwise), then a reauthentication allows it', async () => {
    const clock = new FakeClock(new Date());
    const env = authApp(testDb, { clock });
    const client = env.client();
    const name = uniqueName('keys');
    await signUp(client, env.captcha, name, PASSWORD);
    const options = await client.post('/api/account/keys/options');
    await client.post('/api/account/keys', {
      attempt: options.body.attempt,
      response: await new SoftAuthenticator(client.origin).register(options.body.options),
      keyName: 'Spare',
    });
    const [first, second] = (await client.get('/api/account')).body.keys;
    const renamed = await client.post(`/api/account/keys/${first.id}/name`, { name: 'Blue key' });
    expect(renamed.status).toBe(200);
    expect((await client.post(`/api/account/keys/${first.id}/name`, { name: ' ' })).status).toBe(
      400,
    );
    expect((await client.get('/api/account')).body.keys[0].name).toBe('Blue key');
    // Six minutes later (still signed in, still active): removal refused.
    clock.advance(6 * 60_000);
    const refused = await client.call('DELETE', `/api/account/keys/${second.id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('reauth_required');
    expect((await client.get('/api/account')).body.keys[1].revokedAt).toBeNull();
    expect((await client.post('/api/session/reauth', { password: PASSWORD })).status).toBe(200);
    expect((await client.call('DELETE', `/api/account/keys/${second.id}`)).status).toBe(204);
    // The last factor stays.
    const last = await client.call('DELETE', `/api/account/keys/${first.id}`);
    expect(last.status).toBe(409);
  });
});
