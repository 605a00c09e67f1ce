/**
 * The real app process, as production runs it (server/main.ts, through tsx so no build is
 * needed), on a free loopback port: for tests that SIGKILL it, start it before its database,
 * or measure its memory. Killed only by the pid this module started. Its JSON log lines are
 * kept for the test to read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createDatabase } from '../../server/db/client.js';
import { freePort } from './database-server.js';
import { signUpUser, type TestUser } from './live-client.js';
import { buildTestApp } from './test-app.js';

const root = join(import.meta.dirname, '..', '..');

export interface SpawnedApp {
  port: number;
  url: string;
  process: ChildProcess;
  /** Every line the process wrote to stdout or stderr, in order. */
  lines: string[];
  /** Resolves once a line matches (or rejects after timeoutMs). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resident set size of the process, in bytes (from /proc). */
  rss(): number;
  /** Sends a signal to the process by its pid and resolves once it exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  readonly exited: boolean;
}

export interface SpawnOptions {
  databaseUrl: string;
  port?: number;
  env?: Record<string, string>;
}

export async function spawnApp(options: SpawnOptions): Promise<SpawnedApp> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  // Its pepper and TOTP key live in a folder of its own, removed when it exits.
  const pepperDir = mkdtempSync(join(tmpdir(), 'parley-spawned-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      PUBLIC_ORIGIN: url,
      PEPPER_FILE: join(pepperDir, 'pepper'),
      TOTP_KEY_FILE: join(pepperDir, 'totp-key'),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      rmSync(pepperDir, { recursive: true, force: true });
      resolve();
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
  }
  return {
    port,
    url,
    process: child,
    lines,
    get exited() {
      return exited;
    },
    waitForLine(pattern, timeoutMs) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`),
          );
        }, timeoutMs);
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(waiter);
      });
    },
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
      return kb * 1024;
    },
    async kill(signal) {
      if (exited || child.pid === undefined) return;
      process.kill(child.pid, signal);
      await exit;
    },
  };
}

/** Creates an empty database on the server (the spawned app migrates it itself). */
export async function createEmptyDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = await mysql.createConnection({ uri: serverUrl });
  await admin.query(
    `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  );
  await admin.end();
  return `${serverUrl}${name}`;
}

/**
 * Signs users up through an in-process app on the same (migrated) database: sessions are rows
 * there, so their cookies open sockets on the spawned app too, and sign-up stays fast.
 */
export async function signUpUsers(databaseUrl: string, names: string[]): Promise<TestUser[]> {
  const database = createDatabase(databaseUrl, { connectionLimit: 2 });
  try {
    const { app, captcha } = buildTestApp(database);
    const users: TestUser[] = [];
    for (const name of names) {
      users.push(await signUpUser({ app, captcha, url: 'http://localhost:3000' }, name));
    }
    return users;
  } finally {
    await database.close();
  }
}
