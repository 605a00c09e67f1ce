import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults for a development machine', () => {
    const config = loadConfig({}, '/srv/parley');
    expect(config.nodeEnv).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.publicOrigin).toBe('http://localhost:3000');
    expect(config.clientDir).toBe('/srv/parley/dist/client');
    expect(config.logFormat).toBe('pretty');
  });

  it('drops a half-open live-channel socket within 45 s by default (two ping intervals)', () => {
    // The heartbeat terminates a socket that did not answer the previous ping: at most two
    // intervals pass between the last packet that got through and the termination.
    const { pingIntervalMs } = loadConfig({}, '/').liveChannel;
    expect(2 * pingIntervalMs).toBeLessThanOrEqual(45_000);
    // nginx closes a proxied socket after 60 s without a frame: pings must come more often.
    expect(pingIntervalMs).toBeLessThan(60_000);
  });

  it('logs JSON in production', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, '/').logFormat).toBe('json');
  });

  it('names every bad variable at once', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'postgres://x/y', TRUSTED_PROXIES: 'nginx' }, '/');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/DATABASE_URL/);
    expect(attempt).toThrow(/TRUSTED_PROXIES/);
  });

  it('rejects a public origin with a path', () => {
    expect(() => loadConfig({ PUBLIC_ORIGIN: 'https://example.org/app' }, '/')).toThrow(
      /PUBLIC_ORIGIN/,
    );
  });

  it('rejects a database name that could break out of an identifier', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@h/db`; drop' }, '/')).toThrow(
      /DATABASE_URL/,
    );
  });

  it('keeps the pepper in <root>/secrets/pepper unless PEPPER_FILE says otherwise', () => {
    expect(loadConfig({}, '/srv/parley').pepperFile).toBe('/srv/parley/secrets/pepper');
    expect(loadConfig({ PEPPER_FILE: '/run/secrets/pepper' }, '/').pepperFile).toBe(
      '/run/secrets/pepper',
    );
  });

  it('leaves the Have I Been Pwned check off unless PWNED_PASSWORDS_API names a URL', () => {
    expect(loadConfig({}, '/').pwnedPasswordsApi).toBeUndefined();
    expect(loadConfig({ PWNED_PASSWORDS_API: 'off' }, '/').pwnedPasswordsApi).toBeUndefined();
    expect(
      loadConfig({ PWNED_PASSWORDS_API: 'https://api.pwnedpasswords.com/range' }, '/')
        .pwnedPasswordsApi,
    ).toBe('https://api.pwnedpasswords.com/range');
    expect(() => loadConfig({ PWNED_PASSWORDS_API: 'on' }, '/')).toThrow(/PWNED_PASSWORDS_API/);
  });
});

describe('CAPTCHA_TEST_MODE', () => {
  it('is off by default, can be turned on for tests, and is refused in production', () => {
    expect(loadConfig({}, '/x').auth.captchaTestMode).toBe(false);
    expect(loadConfig({ CAPTCHA_TEST_MODE: 'on' }, '/x').auth.captchaTestMode).toBe(true);
    expect(() => loadConfig({ CAPTCHA_TEST_MODE: 'on', NODE_ENV: 'production' }, '/x')).toThrow(
      /CAPTCHA_TEST_MODE/,
    );
  });
});
