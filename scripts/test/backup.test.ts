/**
 * scripts/backup.sh and scripts/restore.sh on the Docker-less stack: a user signs up (Chromium,
 * virtual security key) on a running stack, a backup is taken, that stack is purged, the backup
 * is restored into a fresh stack on the same address, and the same user signs in with the same
 * password and key. The compose mode's commands are checked against the resolved compose file
 * (no Docker engine runs here).
 */
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CAPTCHA_TEST_MODE_ANSWER } from '../../server/auth/auth-settings.js';
import { repoRoot, run } from '../../test/support/run.js';
import { runStack, stackEnvironment } from '../../test/support/stack.js';
import { launchTrustingChromium } from '../../test/support/trusting-chromium.js';
import { attachVirtualKey } from '../../test/support/virtual-authenticator.js';

const PASSWORD = 'lantern quarry mosaic';
const cleanups: (() => Promise<unknown>)[] = [];
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

const script = (name: string, args: string[], env: NodeJS.ProcessEnv) =>
  run('bash', [join(repoRoot, 'scripts', name), ...args], { env, cwd: repoRoot, timeout: 120_000 });

async function signUp(page: Page, origin: string, username: string) {
  await page.goto(`${origin}/signup`);
  await page.locator('img.captcha-image').waitFor();
  await page.getByLabel('Username').fill(username);
  await page.locator('#new-password').fill(PASSWORD);
  await page.getByLabel('Characters in the picture').fill(CAPTCHA_TEST_MODE_ANSWER);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.recovery-sheet code').first().waitFor();
  await page.getByLabel('I saved my recovery codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
}

async function signIn(page: Page, origin: string, username: string) {
  await page.goto(`${origin}/signin`);
  await page.getByLabel('Username').fill(username);
  await page.locator('#current-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor();
}

describe('backup and restore of the Docker-less stack', () => {
  it('a backup of a running stack, restored into a fresh stack, signs in the same user', {
    timeout: 150_000,
  }, async () => {
    // CAPTCHA_TEST_MODE (hence NODE_ENV=test) lets the browser pass sign-up's CAPTCHA.
    const settings = { STACK_NODE_ENV: 'test', CAPTCHA_TEST_MODE: 'on' };
    const first = await stackEnvironment(settings);
    cleanups.push(() => runStack(['down', '--purge'], first.env));
    await runStack(['up'], first.env);
    const origin = `https://${first.env.DOMAIN}:${first.httpsPort}`;

    browser = await launchTrustingChromium(join(first.dir, 'ca', 'ca.crt'));
    const context = await browser.newContext();
    const page = await context.newPage();
    const key = await attachVirtualKey(context, page);
    await signUp(page, origin, 'frida');
    expect(await key.credentialCount()).toBe(1);

    const archive = join(mkdtempSync(join(tmpdir(), 'parley-backup-')), 'parley.tar.gz');
    const backup = await script('backup.sh', [archive], first.env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/secrets: pepper/);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const listing = await run('tar', ['-tzf', archive]);
    expect(listing.stdout.split('\n').sort()).toEqual(
      expect.arrayContaining([
        './parley-backup',
        './database.sql',
        './secrets/pepper',
        './secrets/totp-key',
        './ca/ca.crt',
        './ca/ca.key',
      ]),
    );
    expect(listing.stdout).not.toMatch(/db_password/);
    const pepper = readFileSync(join(first.dir, 'secrets', 'pepper'));
    const totpKey = readFileSync(join(first.dir, 'secrets', 'totp-key'));

    // The first stack and its data are gone for good.
    await runStack(['down', '--purge'], first.env);

    // A fresh stack (another folder, another database) on the same address: the key is bound
    // to the origin.
    const second = await stackEnvironment({
      ...settings,
      HTTPS_PORT: String(first.httpsPort),
      HTTP_PORT: String(first.httpPort),
    });
    cleanups.push(() => runStack(['down', '--purge'], second.env));
    expect(second.env.STACK_DATABASE_NAME).not.toBe(first.env.STACK_DATABASE_NAME);
    const restored = await script('restore.sh', [archive], second.env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(readFileSync(join(second.dir, 'secrets', 'pepper'))).toEqual(pepper);
    expect(statSync(join(second.dir, 'secrets', 'pepper')).mode & 0o777).toBe(0o400);
    expect(readFileSync(join(second.dir, 'secrets', 'totp-key'))).toEqual(totpKey);
    const up = await runStack(['up'], second.env);
    expect(up.stderr).toMatch(/loading the restored database/);

    await signIn(page, origin, 'frida');
    await context.close();

    // A running stack is not restored into, and a stack with another pepper only with --force.
    const refused = await script('restore.sh', [archive], second.env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/is running/);
    const third = await stackEnvironment();
    cleanups.push(() => runStack(['down', '--purge'], third.env));
    mkdirSync(join(third.dir, 'secrets'), { recursive: true });
    writeFileSync(join(third.dir, 'secrets', 'pepper'), 'another-pepper-of-this-deployment');
    const other = await script('restore.sh', [archive], third.env);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/another pepper/);
    const forced = await script('restore.sh', ['--force', archive], third.env);
    expect(forced.code, forced.stderr).toBe(0);
  });
});

describe('the compose mode of backup.sh and restore.sh', () => {
  it('uses services, paths and settings that the compose file has', async () => {
    const work = mkdtempSync(join(tmpdir(), 'parley-backup-compose-'));
    const resolved = await run('docker-compose', ['-f', 'docker-compose.yaml', 'config'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: work },
    });
    expect(resolved.code, resolved.stderr).toBe(0);
    const compose = parse(resolved.stdout) as {
      services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>;
    };
    const mountAt = (service: string, target: string) =>
      compose.services[service]?.volumes?.find((volume) => volume.split(':')[1] === target);
    for (const name of ['backup.sh', 'restore.sh']) {
      const text = readFileSync(join(repoRoot, 'scripts', name), 'utf8');
      // The database's root password file, in the db container.
      expect(text).toContain('/run/parley/db_root_password');
      expect(mountAt('db', '/run/parley')).toMatch(/^db-secrets:/);
      expect(text).toMatch(/exec -T db /);
      // The app's secrets and our CA, in the init image's volumes.
      expect(text).toMatch(/run --rm --no-deps -T init /);
      expect(mountAt('init', '/state/app-secrets')).toMatch(/^app-secrets:/);
      expect(mountAt('init', '/state/ca')).toMatch(/^ca-private:/);
      expect(text).toMatch(/\bparley\b/);
    }
    expect(compose.services.db?.environment?.MYSQL_DATABASE).toBe('parley');
    expect(compose.services.init?.environment?.APP_UID).toBe('1000');
    expect(readFileSync(join(repoRoot, 'scripts', 'restore.sh'), 'utf8')).toContain('$APP_UID');
  });
});
