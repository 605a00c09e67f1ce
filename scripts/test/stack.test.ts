/**
 * scripts/stack.sh itself: what `up` starts (a private mariadbd here, the built app with the
 * production command, nginx), that the caller's environment reaches the app, that it refuses to
 * collide with a running stack, that `down` stops exactly what `up` started, that two stacks on
 * one database server keep their data apart, and that `renew` renews a running stack's
 * certificate. Compose's nginx health check runs here too, against the stack's nginx.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { goodExtensions, issueBackdatedCert } from '../../test/support/certs.js';
import { openssl, repoRoot, run } from '../../test/support/run.js';
import {
  DOMAIN,
  runStack,
  stackEnvironment,
  startStack,
  type TestStack,
} from '../../test/support/stack.js';

/** Processes whose process group is `pgid`, with their command lines and environments. */
function processGroup(pgid: number) {
  const found: { pid: number; cmdline: string; environ: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name "(...)": state, ppid, pgrp, ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      found.push({
        pid: Number(entry),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim(),
        environ: readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0'),
      });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * Command lines of every process started by the stack in `dir`: they all inherit STACK_DIR from
 * stack.sh (npm, node, nginx's master, mariadbd).
 */
function processesOfStack(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`STACK_DIR=${dir}`)) {
        found.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Starting and stopping stacks takes seconds on a quiet machine and much longer on a loaded one.
const STACK_TIMEOUT = { timeout: 180_000 };

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('scripts/stack.sh', () => {
  it(
    'starts a private mariadbd, the app (npm start, production, our env) and nginx; down stops them all',
    STACK_TIMEOUT,
    async () => {
      const { dir, httpsPort, env } = await stackEnvironment({
        STACK_PRIVATE_DB: '1',
        PARLEY_STACK_PROBE: 'reached-the-app',
      });
      cleanups.push(() => runStack(['down', '--purge'], env));
      const up = await runStack(['up'], env);
      expect(up.stdout).toMatch(
        new RegExp(
          `^Parley is up at https://group-10\\.comp3334\\.xavier2dc\\.fr:${httpsPort}/$`,
          'm',
        ),
      );
      const status = await runStack(['status'], env);
      expect(status.stdout).toMatch(/nginx: running\napp: running\nprivate mariadbd: running/);

      const appGroup = Number(readFileSync(join(dir, 'app.pid'), 'utf8'));
      const nginxPid = Number(readFileSync(join(dir, 'nginx', 'run', 'nginx.pid'), 'utf8'));
      const mariadbPid = Number(readFileSync(join(dir, 'mariadb', 'mysqld.pid'), 'utf8'));
      const group = processGroup(appGroup);
      const npm = group.find((p) => p.pid === appGroup);
      const node = group.find((p) => p.cmdline === 'node dist/server/main.js');
      expect(npm?.cmdline).toBe('npm start');
      expect(node, JSON.stringify(group.map((p) => p.cmdline))).toBeDefined();
      expect(node?.environ).toEqual(
        expect.arrayContaining([
          'PARLEY_STACK_PROBE=reached-the-app',
          'NODE_ENV=production',
          'TRUSTED_PROXIES=127.0.0.1',
          `PUBLIC_ORIGIN=https://group-10.comp3334.xavier2dc.fr:${httpsPort}`,
          `PEPPER_FILE=${join(dir, 'secrets', 'pepper')}`,
        ]),
      );
      const databaseUrl = node?.environ.find((item) => item.startsWith('DATABASE_URL='));
      expect(databaseUrl).toMatch(/^DATABASE_URL=mysql:\/\/root@127\.0\.0\.1:\d+\/parley_stack_/);
      expect(databaseUrl).not.toContain(':3306/');

      // A second `up` on the same state folder refuses and changes nothing.
      await expect(runStack(['up'], env)).rejects.toMatchObject({
        stderr: expect.stringMatching(/already up/),
      });
      expect(running(nginxPid)).toBe(true);

      expect(processesOfStack(dir).length).toBeGreaterThanOrEqual(4); // npm, node, nginx, mariadbd
      const down = await runStack(['down', '--purge'], env);
      expect(down.stderr).toMatch(/stopping nginx/);
      expect(processesOfStack(dir)).toEqual([]);
      for (const pid of [nginxPid, mariadbPid, ...group.map((p) => p.pid)]) {
        expect(running(pid), `pid ${pid}`).toBe(false);
      }
      expect(existsSync(dir)).toBe(false);
      // The shared database server the tests use was not the stack's to stop.
      const shared = await mysql.createConnection({ uri: inject('databaseServerUrl') });
      await shared.end();
    },
  );

  it(
    'uses a database of its own on a running server and drops it on down --purge',
    STACK_TIMEOUT,
    async () => {
      const { env } = await stackEnvironment();
      cleanups.push(() => runStack(['down', '--purge'], env));
      await runStack(['up'], env);
      const name = env.STACK_DATABASE_NAME!;
      const databases = async () => {
        const connection = await mysql.createConnection({ uri: inject('databaseServerUrl') });
        const [rows] = await connection.query('SHOW DATABASES');
        await connection.end();
        return (rows as { Database: string }[]).map((row) => row.Database);
      };
      expect(await databases()).toContain(name);
      await runStack(['down'], env);
      // A stopped stack says so (status used to print nothing and exit 1).
      const stopped = await runStack(['status'], env).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => error,
      );
      expect(stopped.code).toBe(1);
      expect(stopped.stdout).toMatch(/: not running \(start it with: .*stack\.sh up\)$/m);
      // Plain `down` keeps the data, like compose's volumes...
      expect(await databases()).toContain(name);
      await runStack(['down', '--purge'], env);
      // ...and --purge removes it.
      expect(await databases()).not.toContain(name);
    },
  );

  it(
    'refuses to start on a port another program holds, and leaves that program alone',
    STACK_TIMEOUT,
    async () => {
      const squatter: Server = createServer();
      await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
      const port = (squatter.address() as { port: number }).port;
      const { dir, env } = await stackEnvironment({ HTTPS_PORT: String(port) });
      cleanups.push(() => runStack(['down', '--purge'], env));
      try {
        await expect(runStack(['up'], env)).rejects.toMatchObject({
          stderr: expect.stringMatching(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`)),
        });
        expect(squatter.listening).toBe(true);
        expect(existsSync(join(dir, 'app.pid'))).toBe(false);
      } finally {
        squatter.close();
      }
    },
  );

  it(
    'stops what it started when the app fails to start, naming the cause',
    STACK_TIMEOUT,
    async () => {
      const { dir, env } = await stackEnvironment({ LOG_LEVEL: 'chatty' });
      cleanups.push(() => runStack(['down', '--purge'], env));
      const failed = await runStack(['up'], env).then(
        () => undefined,
        (error: { stderr: string }) => error,
      );
      expect(failed?.stderr).toMatch(/LOG_LEVEL/);
      expect(failed?.stderr).toMatch(/start failed; stopping what was started/);
      expect(existsSync(join(dir, 'app.pid'))).toBe(false);
      // No process of that stack is left.
      expect(processesOfStack(dir)).toEqual([]);
    },
  );
});

/** Rows of a query on the tests' database server. */
async function query(sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const connection = await mysql.createConnection({ uri: inject('databaseServerUrl') });
  try {
    const [rows] = await connection.query(sql, values);
    return rows as Record<string, unknown>[];
  } finally {
    await connection.end();
  }
}

const databaseNames = async () =>
  (await query('SHOW DATABASES')).map((row) => String(row.Database));

describe('two stacks on one database server', () => {
  it(
    'each STACK_DIR gets a database of its own by default: purging one stack leaves the other’s users intact',
    STACK_TIMEOUT,
    async () => {
      const stacks = [await stackEnvironment(), await stackEnvironment()];
      for (const stack of stacks) {
        // The default name, not the one the test support picks.
        delete stack.env.STACK_DATABASE_NAME;
        cleanups.push(() => runStack(['down', '--purge'], stack.env));
      }
      await Promise.all(stacks.map((stack) => runStack(['up'], stack.env)));
      const [first, second] = stacks.map((stack) => {
        const url = new URL(readFileSync(join(stack.dir, 'database-created'), 'utf8').trim());
        return { ...stack, database: url.pathname.slice(1) };
      });
      if (!first || !second) throw new Error('two stacks');
      for (const stack of [first, second]) {
        const hash = createHash('sha256').update(stack.dir).digest('hex').slice(0, 10);
        expect(stack.database).toBe(`parley_stack_${hash}`);
      }
      expect(first.database).not.toBe(second.database);

      // A user in each, as sign-up leaves one (the password record does not matter here).
      for (const [stack, username] of [
        [first, 'first_user'],
        [second, 'second_user'],
      ] as const) {
        await query(
          `INSERT INTO \`${stack.database}\`.users (username, username_key, password_hash, password_changed_at, created_at) VALUES (?, ?, 'x', NOW(3), NOW(3))`,
          [username, username],
        );
      }
      await runStack(['down', '--purge'], first.env);
      expect(await databaseNames()).not.toContain(first.database);
      expect(await query(`SELECT username FROM \`${second.database}\`.users`)).toEqual([
        { username: 'second_user' },
      ]);
      // And the second stack still serves.
      expect((await runStack(['status'], second.env)).stdout).toMatch(
        /nginx: running\napp: running/,
      );
      await runStack(['down', '--purge'], second.env);
      expect(await databaseNames()).not.toContain(second.database);
    },
  );
});

describe('several instances', () => {
  it(
    'STACK_INSTANCES=3 runs three apps sharing a private redis-server behind one nginx; down stops them all',
    STACK_TIMEOUT,
    async () => {
      const { dir, env } = await stackEnvironment({ STACK_INSTANCES: '3' });
      cleanups.push(() => runStack(['down', '--purge'], env));
      await runStack(['up'], env);
      const status = await runStack(['status'], env);
      expect(status.stdout).toMatch(
        /^nginx: running\napp: running\napp-2: running\napp-3: running\nprivate redis-server: running$/m,
      );
      // nginx balances over the three loopback ports.
      const conf = readFileSync(join(dir, 'nginx', 'nginx.conf'), 'utf8');
      const upstreams = [...conf.matchAll(/^\s*server (127\.0\.0\.1:\d+)\b/gm)].map((m) => m[1]);
      expect(new Set(upstreams).size).toBe(3);
      // Each app (node under its npm) has the same private redis-server's URL.
      const redisUrls = ['app', 'app-2', 'app-3'].map((name) => {
        const group = processGroup(Number(readFileSync(join(dir, `${name}.pid`), 'utf8')));
        const node = group.find((p) => p.cmdline === 'node dist/server/main.js');
        return node?.environ.find((item) => item.startsWith('REDIS_URL='));
      });
      expect(redisUrls[0]).toMatch(/^REDIS_URL=redis:\/\/127\.0\.0\.1:\d+$/);
      expect(new Set(redisUrls).size).toBe(1);
      expect(processesOfStack(dir).length).toBeGreaterThanOrEqual(8); // 3 × (npm, node), nginx, redis
      await runStack(['down', '--purge'], env);
      expect(processesOfStack(dir)).toEqual([]);
    },
  );
});

/** The certificate a TLS server at 127.0.0.1:port presents for DOMAIN, checked against caFile. */
function servedCertificate(port: number, caFile: string) {
  return new Promise<{ validTo: Date; fingerprint256: string }>((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, servername: DOMAIN, ca: readFileSync(caFile) },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve({ validTo: new Date(cert.valid_to), fingerprint256: cert.fingerprint256 });
      },
    );
    socket.on('error', reject);
  });
}

const daysFromNow = (date: Date) => (date.getTime() - Date.now()) / 86_400_000;

describe('a running stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
    cleanups.push(() => stack.down());
  });

  it('up prints the CA to trust with its SHA-256 fingerprint', async () => {
    const fingerprint = (
      await openssl(['x509', '-in', stack.caFile, '-noout', '-fingerprint', '-sha256'])
    )
      .trim()
      .split('=')[1];
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(stack.output).toContain(`the CA to trust: ${stack.caFile}\n`);
    expect(stack.output).toContain(`its SHA-256 fingerprint: ${fingerprint}\n`);
  });

  it('compose’s nginx health check passes against the running nginx, and fails without it', async () => {
    // The health check as compose resolves it for this stack's HTTP port.
    const work = mkdtempSync(join(tmpdir(), 'parley-healthcheck-'));
    const envFile = join(work, 'ports.env');
    writeFileSync(envFile, `HTTP_PORT=${stack.httpPort}\nHTTPS_PORT=${stack.httpsPort}\n`);
    const resolved = await run(
      'docker-compose',
      ['--env-file', envFile, '-f', 'docker-compose.yaml', 'config'],
      { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: work } },
    );
    expect(resolved.code, resolved.stderr).toBe(0);
    const compose = parse(resolved.stdout) as {
      services: { nginx: { healthcheck: { test: string[] } } };
    };
    const [kind, command, ...args] = compose.services.nginx.healthcheck.test;
    expect(kind).toBe('CMD');
    // `$$` in the file is compose's escape of `$` for the container.
    const check = () =>
      run(
        command!,
        args.map((arg) => arg.replaceAll('$$', '$')),
        { timeout: 10_000 },
      );
    expect((await check()).code).toBe(0);
    // Something else on the port (no redirect) fails it: it checks nginx's answer.
    const other = createServer((socket) => {
      socket.on('error', () => {}); // the check may close first
      socket.end('HTTP/1.1 200 OK\r\n\r\n');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as { port: number }).port;
    const elsewhere = await run(
      command!,
      args.map((arg) => arg.replaceAll('$$', '$').replace(`/${stack.httpPort} `, `/${otherPort} `)),
    );
    other.close();
    expect(elsewhere.code).not.toBe(0);
  });

  it(
    'renew re-issues a leaf 20 days from expiry as a new 90-day one, nginx serves it, and the probes pass',
    STACK_TIMEOUT,
    async () => {
      const tls = join(stack.dir, 'tls');
      // A leaf of the stack's own CA issued 70 days ago: 20 days left.
      const old = await issueBackdatedCert({
        dir: mkdtempSync(join(tmpdir(), 'parley-old-leaf-')),
        caCert: join(stack.dir, 'ca', 'ca.crt'),
        caKey: join(stack.dir, 'ca', 'ca.key'),
        commonName: DOMAIN,
        extensions: goodExtensions(DOMAIN),
        daysAgo: 70,
      });
      copyFileSync(old, join(tls, 'server.crt'));
      copyFileSync(join(dirname(old), 'leaf.key'), join(tls, 'server.key'));
      const nginxPid = Number(readFileSync(join(stack.dir, 'nginx', 'run', 'nginx.pid'), 'utf8'));
      process.kill(nginxPid, 'SIGHUP');
      await expect
        .poll(async () =>
          Math.round(daysFromNow((await servedCertificate(stack.httpsPort, stack.caFile)).validTo)),
        )
        .toBe(20);

      const renewed = await runStack(['renew'], { ...process.env, STACK_DIR: stack.dir, DOMAIN });
      expect(renewed.stderr).toMatch(/renewing .*time left: (19|20) days, fewer than 30/);
      expect(renewed.stderr).toMatch(/nginx reloads/);
      // Only this run's outcome: the start's "issued" line is not repeated.
      expect(renewed.stderr.match(/^issued /gm)).toHaveLength(1);
      await expect
        .poll(async () =>
          Math.round(daysFromNow((await servedCertificate(stack.httpsPort, stack.caFile)).validTo)),
        )
        .toBe(90);
      const verified = await run('bash', [
        join(repoRoot, 'scripts', 'verify-cert.sh'),
        '--domain',
        DOMAIN,
        '--ca-cert',
        stack.caFile,
        '--min-days',
        '89',
        join(tls, 'server.crt'),
      ]);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      // The stack's own probe: /healthz through nginx, certificate checked against the CA.
      const probe = await run('node', [
        join(repoRoot, 'scripts', 'stack-probe.mjs'),
        'wait-http',
        `${stack.origin}/healthz`,
        '10',
        stack.caFile,
      ]);
      expect(probe.code, probe.stderr).toBe(0);
      // Still the same nginx: a reload, not a restart.
      expect(running(nginxPid)).toBe(true);
    },
  );
});
