/**
 * docker-compose.yaml and the Dockerfile, checked offline (no Docker engine runs here):
 * Debian's docker-compose v1 validates the file and resolves it, dockerfilelint lints the
 * Dockerfile, and the parts of the stack that do not need Docker (the init service's script and
 * nginx's render step) run here with the very environment compose would give them.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../server/config.js';
import { goodExtensions, issueBackdatedCert, makeOperatorCa } from '../../test/support/certs.js';
import { freePort } from '../../test/support/database-server.js';
import { openssl, repoRoot, run } from '../../test/support/run.js';

interface ComposeService {
  image?: string;
  build?: { context: string; target: string };
  environment?: Record<string, string>;
  ports?: { published: string | number; target: string | number }[] | string[];
  /** "source:target[:ro]", as docker-compose v1 prints them. */
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  logging?: { driver: string; options?: Record<string, string> };
  command?: string[];
  network_mode?: string;
  read_only?: boolean;
  user?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean; ipam?: { config?: { subnet?: string }[] } }>;
  volumes: Record<string, unknown>;
}

let work: string;
let compose: Compose;
const example = Object.fromEntries(
  readFileSync(join(repoRoot, '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
) as Record<string, string>;

/** docker-compose v1 with only the given settings file (never a developer's .env or shell). */
function dockerCompose(envFile: string, args: string[]) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work };
  return run('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yaml', ...args], {
    cwd: repoRoot,
    env,
  });
}

async function resolved(envFile: string): Promise<Compose> {
  const ran = await dockerCompose(envFile, ['config']);
  expect(ran.code, ran.stderr).toBe(0);
  return parse(ran.stdout) as Compose;
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  /** The mode's options: ro, z, ... */
  options: string[];
}

function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    const [source = '', target = '', mode = ''] = volume.split(':');
    const options = mode.split(',').filter(Boolean);
    return { source, target, readOnly: options.includes('ro'), options };
  });
}

function publishedPorts(service: ComposeService): string[] {
  return (service.ports ?? []).map((port) =>
    typeof port === 'string' ? port : `${port.published}:${port.target}`,
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'parley-compose-'));
  const empty = join(work, 'empty.env');
  writeFileSync(empty, '');
  compose = await resolved(empty);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('docker-compose.yaml', () => {
  it('passes Debian docker-compose v1 validation (which rejects keys the old command lacks)', async () => {
    const ran = await dockerCompose(join(work, 'empty.env'), ['config', '-q']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toBe('');
  });

  it('has the four services, on long-lived official release-line tags, each with its reason', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'db', 'init', 'nginx']);
    // A release line's tag (it exists as long as the line does), never latest or a guessed patch.
    expect(compose.services.db?.image).toBe('mysql:8.4');
    expect(compose.services.nginx?.image).toMatch(/^nginx:1\.\d*[02468]$/); // a stable (even) line
    const file = readFileSync(join(repoRoot, 'docker-compose.yaml'), 'utf8');
    expect(file).toMatch(/nginx 1\.\d+ is nginx's stable line/);
    expect(file).toMatch(/mysql 8\.4 is MySQL's LTS line/);
    expect(compose.services.app?.build?.target).toBe('app');
    expect(compose.services.init?.build?.target).toBe('init');
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    const froms = dockerfile.match(/^FROM .*/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(3);
    for (const from of froms) expect(from).toMatch(/^FROM node:\d+-bookworm-slim AS \w+$/);
    expect(dockerfile).toMatch(/# Node\.js \d+ .*LTS/);
  });

  it('fixes no subnet and no address: Docker picks them, so no collision with a network or VPN', () => {
    for (const [name, network] of Object.entries(compose.networks)) {
      expect(network.ipam?.config ?? [], name).toEqual([]);
    }
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [network, settings] of Object.entries(service.networks ?? {})) {
        expect(settings?.ipv4_address, `${name} on ${network}`).toBeUndefined();
      }
    }
  });

  it('health-checks every long-running service', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'init') continue; // a one-shot step: the others wait for its success
      expect(service.healthcheck?.test[0], name).toBe('CMD');
      expect(service.healthcheck?.retries, name).toBeGreaterThan(0);
    }
    // nginx's checks its own answer on the plain-HTTP port (run for real in stack.test.ts).
    expect(compose.services.nginx?.healthcheck?.test.join(' ')).toContain(
      `/dev/tcp/127.0.0.1/${example.HTTP_PORT}`,
    );
  });

  it('limits every service’s log: json-file, max-size and max-file', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.logging?.driver, name).toBe('json-file');
      expect(service.logging?.options?.['max-size'], name).toMatch(/^\d+m$/);
      expect(Number(service.logging?.options?.['max-file']), name).toBeGreaterThan(0);
    }
  });

  it('labels every bind mount :z, so SELinux hosts let the containers read it', () => {
    let binds = 0;
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mount of mounts(service)) {
        if (!mount.source.startsWith('/')) continue; // a named volume
        binds += 1;
        expect(mount.options, `${name} ${mount.source}`).toContain('z');
      }
    }
    expect(binds).toBeGreaterThanOrEqual(2);
  });

  it('publishes ports from nginx only: HTTPS and HTTP, the same inside and out', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'nginx') expect(service.ports ?? [], name).toEqual([]);
    }
    expect(publishedPorts(compose.services.nginx!).sort()).toEqual(
      [
        `${example.HTTPS_PORT}:${example.HTTPS_PORT}`,
        `${example.HTTP_PORT}:${example.HTTP_PORT}`,
      ].sort(),
    );
  });

  it('keeps MySQL on the internal network only, with a health check and a named volume', () => {
    const db = compose.services.db!;
    expect(Object.keys(db.networks ?? {})).toEqual(['backend']);
    expect(compose.networks.backend?.internal).toBe(true);
    expect(db.healthcheck?.test.join(' ')).toMatch(/mysqladmin ping/);
    const data = mounts(db).find((mount) => mount.target === '/var/lib/mysql');
    expect(data?.source).toBe('db-data');
    expect(compose.volumes).toHaveProperty('db-data');
    expect(db.environment?.MYSQL_PASSWORD_FILE).toBeDefined();
    expect(db.environment?.MYSQL_ROOT_PASSWORD_FILE).toBeDefined();
    expect(db.environment).not.toHaveProperty('MYSQL_PASSWORD');
    expect(db.environment).not.toHaveProperty('MYSQL_ROOT_PASSWORD');
  });

  it('starts the app after init and a healthy database, trusting X-Forwarded-For from the internal network only', () => {
    const app = compose.services.app!;
    const nginx = compose.services.nginx!;
    expect(app.depends_on).toEqual({
      init: { condition: 'service_completed_successfully' },
      db: { condition: 'service_healthy' },
    });
    expect(nginx.depends_on?.app).toEqual({ condition: 'service_healthy' });
    // The app is on the internal network alone: nginx (and the database) are its only peers.
    expect(Object.keys(app.networks ?? {})).toEqual(['backend']);
    expect(app.environment?.TRUSTED_PROXIES).toBe('10.0.0.0/8,172.16.0.0/12,192.168.0.0/16');
    expect(nginx.environment?.PARLEY_APP_UPSTREAM).toBe(`app:${app.environment?.PORT}`);
    expect(app.environment?.NODE_ENV).toBe('production');
    expect(app.read_only).toBe(true);
    // The app's own configuration check accepts the environment compose gives it.
    const config = loadConfig(app.environment ?? {}, repoRoot);
    expect(config.publicOrigin).toBe(`https://${example.DOMAIN}:${example.HTTPS_PORT}`);
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
  });

  it('takes the domain and ports from the settings file, the defaults being .env.example’s', async () => {
    const fromExample = await resolved(join(repoRoot, '.env.example'));
    expect(fromExample).toEqual(compose);
    const other = join(work, 'other.env');
    writeFileSync(
      other,
      'DOMAIN=group-42.comp3334.xavier2dc.fr\nHTTPS_PORT=9443\nHTTP_PORT=9080\n',
    );
    const changed = await resolved(other);
    expect(changed.services.init?.environment?.DOMAIN).toBe('group-42.comp3334.xavier2dc.fr');
    expect(changed.services.nginx?.environment).toMatchObject({
      PARLEY_DOMAIN: 'group-42.comp3334.xavier2dc.fr',
      PARLEY_HTTPS_PORT: '9443',
      PARLEY_HTTP_PORT: '9080',
    });
    expect(changed.services.app?.environment?.PUBLIC_ORIGIN).toBe(
      'https://group-42.comp3334.xavier2dc.fr:9443',
    );
    expect(publishedPorts(changed.services.nginx!).sort()).toEqual(['9080:9080', '9443:9443']);
  });

  it('mounts secrets read-only, and the CA key into nothing but init', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mount of mounts(service)) {
        if (mount.source === 'ca-private') expect(name).toBe('init');
        if (name !== 'init' && /secrets|tls/.test(mount.source)) {
          expect(mount.readOnly, `${name} ${mount.source}`).toBe(true);
        }
      }
    }
    expect(compose.services.init?.network_mode).toBe('none');
  });
});

describe('docker-compose.scale.yaml (several app instances through Redis)', () => {
  const scaled = async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work };
    const args = ['--env-file', join(work, 'empty.env'), '-f', 'docker-compose.yaml'];
    return run('docker-compose', [...args, '-f', 'docker-compose.scale.yaml', 'config'], {
      cwd: repoRoot,
      env,
    });
  };

  it('passes docker-compose v1 validation on top of docker-compose.yaml', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work };
    const args = ['--env-file', join(work, 'empty.env'), '-f', 'docker-compose.yaml'];
    const ran = await run(
      'docker-compose',
      [...args, '-f', 'docker-compose.scale.yaml', 'config', '-q'],
      { cwd: repoRoot, env },
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toBe('');
  });

  it('adds a redis on the internal network only, unprivileged, health-checked, with no data kept', async () => {
    const ran = await scaled();
    expect(ran.code, ran.stderr).toBe(0);
    const merged = parse(ran.stdout) as Compose;
    expect(Object.keys(merged.services).sort()).toEqual(['app', 'db', 'init', 'nginx', 'redis']);
    const redis = merged.services.redis!;
    expect(redis.image).toMatch(/^redis:\d+\.\d+$/);
    expect(Object.keys(redis.networks ?? {})).toEqual(['backend']);
    expect(merged.networks.backend?.internal).toBe(true);
    expect(publishedPorts(redis)).toEqual([]);
    expect(redis.read_only).toBe(true);
    expect(redis.user).toBe('999:999');
    expect(redis.healthcheck?.test).toContain('ping');
    expect(redis.command?.join(' ')).toContain('--save  --appendonly no');
    expect(mounts(redis)).toEqual([]);
  });

  it('points every app replica at it, after it is healthy, and keeps the app scalable', async () => {
    const merged = parse((await scaled()).stdout) as Compose & {
      services: Record<string, ComposeService & { container_name?: string }>;
    };
    const app = merged.services.app!;
    expect(app.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(app.depends_on?.redis).toEqual({ condition: 'service_healthy' });
    expect(app.depends_on?.db).toEqual({ condition: 'service_healthy' });
    // --scale app=3 needs no fixed name, address or published port on the app.
    expect(app.container_name).toBeUndefined();
    expect(publishedPorts(app)).toEqual([]);
    for (const network of Object.values(app.networks ?? {})) {
      expect(network?.ipv4_address).toBeUndefined();
    }
    // nginx reaches the replicas by the service name (one address per replica).
    expect(merged.services.nginx?.environment?.PARLEY_APP_UPSTREAM).toBe('app:3000');
    const file = readFileSync(join(repoRoot, 'docker-compose.scale.yaml'), 'utf8');
    expect(file).toContain(
      'docker compose -f docker-compose.yaml -f docker-compose.scale.yaml up -d --scale app=3',
    );
  });
});

describe('the rules hold for every compose file and override', () => {
  /** Every combination a README or file comment tells people to run. */
  const combinations = [
    ['docker-compose.yaml'],
    ['docker-compose.yaml', 'docker-compose.scale.yaml'],
  ];

  it('covers every docker-compose*.yaml of the repository', () => {
    const files = readdirSync(repoRoot).filter((name) => /^docker-compose.*\.ya?ml$/.test(name));
    expect(files.sort()).toEqual([...new Set(combinations.flat())].sort());
  });

  it.each(combinations.map((files) => [files.join(' + '), files] as const))(
    '%s: validates, fixes no subnet or address, health-checks and log-limits every long-running service, labels bind mounts :z, uses release-line tags',
    async (_name, files) => {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work };
      const args = [
        '--env-file',
        join(work, 'empty.env'),
        ...files.flatMap((file) => ['-f', file]),
      ];
      const checked = await run('docker-compose', [...args, 'config', '-q'], {
        cwd: repoRoot,
        env,
      });
      expect(checked.code, checked.stderr).toBe(0);
      expect(checked.stderr).toBe('');
      const merged = parse(
        (await run('docker-compose', [...args, 'config'], { cwd: repoRoot, env })).stdout,
      ) as Compose;
      const problems: string[] = [];
      for (const [name, network] of Object.entries(merged.networks)) {
        if ((network.ipam?.config ?? []).length > 0)
          problems.push(`network ${name}: a fixed subnet`);
      }
      for (const [name, service] of Object.entries(merged.services)) {
        for (const settings of Object.values(service.networks ?? {})) {
          if (settings?.ipv4_address) problems.push(`${name}: a fixed address`);
        }
        if (name !== 'init' && service.healthcheck?.test[0] !== 'CMD') {
          problems.push(`${name}: no health check`);
        }
        const logging = service.logging;
        if (
          logging?.driver !== 'json-file' ||
          !/^\d+m$/.test(logging.options?.['max-size'] ?? '') ||
          !(Number(logging.options?.['max-file']) > 0)
        ) {
          problems.push(`${name}: no log limits`);
        }
        for (const mount of mounts(service)) {
          if (mount.source.startsWith('/') && !mount.options.includes('z')) {
            problems.push(`${name}: bind mount ${mount.source} without :z`);
          }
        }
        if (service.image && !/^[a-z0-9-]+:\d+(\.\d+)?$/.test(service.image)) {
          problems.push(`${name}: image ${service.image} is not a release line's tag`);
        }
      }
      expect(problems).toEqual([]);
    },
  );
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const stage = (name: string) => {
    const start = dockerfile.indexOf(`AS ${name}\n`);
    const next = dockerfile.indexOf('\nFROM ', start);
    return dockerfile.slice(start, next === -1 ? undefined : next);
  };

  it('passes dockerfilelint', async () => {
    const ran = await run('npx', ['--no-install', 'dockerfilelint', 'Dockerfile'], {
      cwd: repoRoot,
    });
    expect(ran.code, ran.stdout).toBe(0);
    expect(ran.stdout).toMatch(/Issues: None found/);
  });

  it('runs the app as the unprivileged node user with the npm start command', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const app = stage('app');
    expect(app).toMatch(/^USER node$/m);
    const cmd = /^CMD (\[.*\])$/m.exec(app)?.[1];
    expect((JSON.parse(cmd ?? '[]') as string[]).join(' ')).toBe(pkg.scripts.start);
  });

  it('keeps keys, secrets, local settings and host builds out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of [
      '.env',
      '*.key',
      '*.pem',
      'secrets',
      'ca',
      'node_modules',
      'dist',
      '.git',
    ]) {
      expect(ignored).toContain(entry);
    }
    // What the build compiles goes in: both halves and the contract they import.
    for (const source of ['server', 'client', 'contract']) {
      expect(ignored.filter((entry) => entry.replace(/^\/|\/$/g, '') === source)).toEqual([]);
    }
  });
});

describe('the compose services’ steps, run without Docker', () => {
  /** A service's environment with its container paths moved under a host folder. */
  function onHost(service: ComposeService, root: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      env[key] = value.startsWith('/') ? join(root, value) : value;
    }
    return env;
  }
  const hostEnv = (extra: Record<string, string>) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...extra,
  });
  const asRoot = process.getuid?.() === 0;

  it('init makes the CA, certificate and secrets once; a restart keeps every byte', async () => {
    const root = mkdtempSync(join(work, 'init-'));
    const env = onHost(compose.services.init!, root);
    if (!asRoot) {
      env.APP_UID = String(process.getuid?.());
      env.DB_UID = String(process.getuid?.());
    }
    const first = await run('bash', [join(repoRoot, 'scripts', 'init-stack.sh')], {
      env: hostEnv(env),
    });
    expect(first.code, first.stderr).toBe(0);
    const snapshot = () =>
      Object.fromEntries(
        [
          'state/ca/ca.crt',
          'state/ca/ca.key',
          'state/tls/server.crt',
          'state/tls/server.key',
          'state/app-secrets/pepper',
          'state/app-secrets/db_password',
          'state/db-secrets/db_password',
          'state/db-secrets/db_root_password',
          'host-ca/ca.crt',
        ].map((file) => [file, readFileSync(join(root, file)).toString('base64')]),
      );
    const before = snapshot();
    expect(Buffer.from(before['state/app-secrets/pepper']!, 'base64').toString()).toMatch(
      /^[A-Za-z0-9_-]{43}$/,
    );
    expect(before['state/app-secrets/db_password']).toBe(before['state/db-secrets/db_password']);
    // Each secret readable by its one user only: the app (uid 1000), MySQL (uid 999).
    const owners = {
      'app-secrets': asRoot ? 1000 : process.getuid?.(),
      'db-secrets': asRoot ? 999 : process.getuid?.(),
    };
    for (const [dir, uid] of Object.entries(owners)) {
      for (const file of readdirSync(join(root, 'state', dir))) {
        const stat = statSync(join(root, 'state', dir, file));
        expect({ file, uid: stat.uid, mode: stat.mode & 0o777 }).toEqual({
          file,
          uid,
          mode: 0o400,
        });
      }
    }
    expect(statSync(join(root, 'state', 'ca', 'ca.key')).mode & 0o777).toBe(0o600);
    // The host gets the CA certificate, never its key.
    expect(readdirSync(join(root, 'host-ca'))).toEqual(['ca.crt']);
    expect(before['host-ca/ca.crt']).toBe(before['state/ca/ca.crt']);
    const verified = await run('bash', [
      join(repoRoot, 'scripts', 'verify-cert.sh'),
      '--domain',
      example.DOMAIN!,
      '--ca-cert',
      join(root, 'host-ca', 'ca.crt'),
      join(root, 'state', 'tls', 'server.crt'),
    ]);
    expect(verified.code, verified.stderr).toBe(0);

    const second = await run('bash', [join(repoRoot, 'scripts', 'init-stack.sh')], {
      env: hostEnv(env),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^kept /m);
    expect(snapshot()).toEqual(before);
  });

  it('init, at a start with a leaf 20 days from expiry, issues a new 90-day leaf that passes the probes', async () => {
    const root = mkdtempSync(join(work, 'renew-'));
    const env = onHost(compose.services.init!, root);
    if (!asRoot) {
      env.APP_UID = String(process.getuid?.());
      env.DB_UID = String(process.getuid?.());
    }
    const first = await run('bash', [join(repoRoot, 'scripts', 'init-stack.sh')], {
      env: hostEnv(env),
    });
    expect(first.code, first.stderr).toBe(0);
    const tls = join(root, 'state', 'tls');
    const caCert = join(root, 'state', 'ca', 'ca.crt');
    // The CA's leaf, issued 70 days ago: 20 days left.
    const old = await issueBackdatedCert({
      dir: join(root, 'old-leaf'),
      caCert,
      caKey: join(root, 'state', 'ca', 'ca.key'),
      commonName: example.DOMAIN!,
      extensions: goodExtensions(example.DOMAIN!),
      daysAgo: 70,
    });
    copyFileSync(old, join(tls, 'server.crt'));
    copyFileSync(join(root, 'old-leaf', 'leaf.key'), join(tls, 'server.key'));
    const endDate = async () =>
      new Date(
        (await openssl(['x509', '-in', join(tls, 'server.crt'), '-noout', '-enddate'])).replace(
          'notAfter=',
          '',
        ),
      );
    const daysLeft = async () =>
      Math.round(((await endDate()).getTime() - Date.now()) / 86_400_000);
    expect(await daysLeft()).toBe(20);

    const next = await run('bash', [join(repoRoot, 'scripts', 'init-stack.sh')], {
      env: hostEnv(env),
    });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^renewing .*time left: (19|20) days, fewer than 30/m);
    expect(await daysLeft()).toBe(90);
    // openssl's own expiry check, as init applies it, and the full verification nginx needs.
    const checkend = await run('openssl', [
      'x509',
      '-in',
      join(tls, 'server.crt'),
      '-noout',
      '-checkend',
      String(89 * 86_400),
    ]);
    expect(checkend.code).toBe(0);
    const verified = await run('bash', [
      join(repoRoot, 'scripts', 'verify-cert.sh'),
      '--domain',
      example.DOMAIN!,
      '--ca-cert',
      caCert,
      join(tls, 'server.crt'),
    ]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    // The new key belongs to the new certificate.
    const certKey = await openssl(['x509', '-in', join(tls, 'server.crt'), '-noout', '-pubkey']);
    const keyKey = await openssl(['pkey', '-in', join(tls, 'server.key'), '-pubout']);
    expect(certKey).toBe(keyKey);
  });

  it('init uses an operator’s CA given as ca/ca.crt + ca/ca.key', async () => {
    const root = mkdtempSync(join(work, 'given-'));
    const operator = await makeOperatorCa(join(work, 'operator'));
    mkdirSync(join(root, 'host-ca'), { recursive: true });
    copyFileSync(operator.cert, join(root, 'host-ca', 'ca.crt'));
    copyFileSync(operator.key, join(root, 'host-ca', 'ca.key'));
    const env = onHost(compose.services.init!, root);
    if (!asRoot) {
      env.APP_UID = String(process.getuid?.());
      env.DB_UID = String(process.getuid?.());
    }
    const ran = await run('bash', [join(repoRoot, 'scripts', 'init-stack.sh')], {
      env: hostEnv(env),
    });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/using the given CA/);
    const issuer = await openssl([
      'x509',
      '-in',
      join(root, 'state', 'tls', 'server.crt'),
      '-noout',
      '-issuer',
    ]);
    expect(issuer).toMatch(/Operator test CA/);
    // Our own CA was never made.
    expect(existsSync(join(root, 'state', 'ca', 'ca.key'))).toBe(false);
  });

  it('nginx’s render step with compose’s environment gives a configuration nginx accepts', async () => {
    const root = mkdtempSync(join(work, 'nginx-'));
    const tls = join(root, 'run', 'parley-tls');
    mkdirSync(tls, { recursive: true });
    const ca = await makeOperatorCa(join(root, 'ca'));
    const init = await run('bash', [
      join(repoRoot, 'scripts', 'issue-server-cert.sh'),
      '--domain',
      example.DOMAIN!,
      '--ca-cert',
      ca.cert,
      '--ca-key',
      ca.key,
      '--out-dir',
      tls,
    ]);
    expect(init.code, init.stderr).toBe(0);
    const nginx = compose.services.nginx!;
    // The listen address and upstream stay as in the container; only paths move.
    const env = onHost(nginx, root);
    const out = join(root, 'tmp', 'parley-nginx');
    const rendered = await run('sh', [join(repoRoot, 'nginx', 'render.sh'), out], {
      env: hostEnv({ ...env, PATH: `${process.env.PATH}:/usr/sbin` }),
    });
    expect(rendered.code, rendered.stderr).toBe(0);
    const conf = readFileSync(join(out, 'nginx.conf'), 'utf8');
    expect(conf).toContain(`listen 0.0.0.0:${example.HTTPS_PORT} ssl`);
    expect(conf).toContain('server app:3000 max_fails=1 fail_timeout=10s;');
    // nginx -t resolves upstream names, and `app` is a name of Docker's DNS only: the test
    // resolves the one name that differs to this machine's loopback instead.
    writeFileSync(
      join(out, 'nginx-here.conf'),
      conf.replace('server app:3000 ', 'server localhost:3000 '),
    );
    const tested = await run('/usr/sbin/nginx', [
      '-t',
      '-p',
      out,
      '-c',
      'nginx-here.conf',
      '-e',
      join(root, 'error.log'),
    ]);
    expect(tested.code, tested.stderr).toBe(0);
    // The container runs exactly this render step on the mounted folder, then nginx in front.
    expect(nginx.command?.join(' ')).toMatch(
      /sh \/etc\/parley\/nginx\/render\.sh \/tmp\/parley-nginx && exec nginx -p \/tmp\/parley-nginx -c nginx\.conf -g 'daemon off;'/,
    );
    expect(mounts(nginx).find((mount) => mount.target === '/etc/parley/nginx')).toEqual({
      source: join(repoRoot, 'nginx'),
      target: '/etc/parley/nginx',
      readOnly: true,
      options: ['ro', 'z'],
    });
  });

  it('the app image’s file tree (scripts/runtime-tree.sh, as in the Dockerfile) starts with compose’s app environment', async () => {
    const root = mkdtempSync(join(work, 'image-'));
    const tree = join(root, 'app');
    const assembled = await run('sh', [join(repoRoot, 'scripts', 'runtime-tree.sh'), tree], {
      cwd: repoRoot,
    });
    expect(assembled.code, assembled.stderr).toBe(0);
    // The Dockerfile copies the pruned node_modules beside it; here, the checkout's.
    symlinkSync(join(repoRoot, 'node_modules'), join(tree, 'node_modules'));
    const database = `parley_image_${randomBytes(5).toString('hex')}`;
    const server = new URL(inject('databaseServerUrl'));
    const port = await freePort();
    const pepper = join(root, 'pepper');
    writeFileSync(pepper, randomBytes(32).toString('base64'));
    const app = compose.services.app!;
    // Compose's environment, but the database and port of this machine, the pepper file here.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...app.environment,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: new URL(`/${database}`, server).toString(),
      PEPPER_FILE: pepper,
      TOTP_KEY_FILE: join(root, 'totp-key'),
    };
    delete env.DATABASE_PASSWORD_FILE;
    // The image's command, from the image's working folder.
    const child = spawn('node', ['dist/server/main.js'], { cwd: tree, env, stdio: 'pipe' });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    try {
      let health = 0;
      for (let i = 0; i < 120 && health !== 200 && child.exitCode === null; i += 1) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.status,
          () => 0,
        );
        if (health !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(health, log).toBe(200);
      // The client build is served, and the startup found the font and the breach corpus.
      const page = await fetch(`http://127.0.0.1:${port}/signup`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script type="module"[^>]+src="\/assets\//);
      expect(log).toMatch(/"msg":"migrations applied"/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) =>
        child.exitCode === null ? child.once('exit', resolve) : resolve(null),
      );
      const admin = await mysql.createConnection({ uri: server.toString() });
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    }
  });
});
