/**
 * scripts/stack.sh itself: what `up` starts (a private mariadbd here, the built app with the
 * production command, nginx), that the caller's environment reaches the app, that it refuses to
 * collide with a running stack, and that `down` stops exactly what `up` started.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runStack, stackEnvironment } from '../../nginx/test/support/stack.js';

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

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('scripts/stack.sh', () => {
  it('starts a private mariadbd, the app (npm start, production, our env) and nginx; down stops them all', async () => {
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
  });

  it('uses a database of its own on a running server and drops it on down --purge', async () => {
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
    // Plain `down` keeps the data, like compose's volumes...
    expect(await databases()).toContain(name);
    await runStack(['down', '--purge'], env);
    // ...and --purge removes it.
    expect(await databases()).not.toContain(name);
  });

  it('refuses to start on a port another program holds, and leaves that program alone', async () => {
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
  });

  it('stops what it started when the app fails to start, naming the cause', async () => {
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
  });
});
