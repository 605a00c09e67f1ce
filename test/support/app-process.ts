/**
 * The real server as production runs it (`node dist/server/main.js`, what `npm start` runs),
 * as a child process this test started, so a test can SIGKILL it by its pid and start it
 * again on the same port. CAPTCHA test mode makes sign-up answerable from a test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTCHA_TEST_MODE_ANSWER } from '../../server/auth/auth-settings.js';
import { freePort } from './database-server.js';

const root = join(import.meta.dirname, '..', '..');

export interface AppProcess {
  url: string;
  port: number;
  /** What signUpInPage needs of an app: its URL and the CAPTCHA answer. */
  captcha: { lastAnswer(): string };
  /** Starts the server (again); resolves once it answers /healthz. */
  start(): Promise<void>;
  /** SIGKILL, by the pid this test started: no shutdown, no flush. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  output(): string;
}

export async function appProcess(
  databaseUrl: string,
  /** More environment for the server (e.g. REDIS_URL for several instances). */
  extraEnv: Record<string, string> = {},
): Promise<AppProcess> {
  const port = await freePort();
  const secrets = mkdtempSync(join(tmpdir(), 'parley-app-'));
  const url = `http://localhost:${port}`;
  let child: ChildProcess | undefined;
  let output = '';
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });
  return {
    url,
    port,
    captcha: { lastAnswer: () => CAPTCHA_TEST_MODE_ANSWER },
    async start() {
      child = spawn(process.execPath, [join(root, 'dist', 'server', 'main.js')], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          PORT: String(port),
          HOST: '127.0.0.1',
          PUBLIC_ORIGIN: url,
          DATABASE_URL: databaseUrl,
          PEPPER_FILE: join(secrets, 'pepper'),
          CAPTCHA_TEST_MODE: 'on',
          PWNED_PASSWORDS_API: 'off',
          LOG_LEVEL: 'warn',
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d) => {
        output += d;
      });
      child.stderr?.on('data', (d) => {
        output += d;
      });
      const started = Date.now();
      while (Date.now() - started < 60_000) {
        if (child.exitCode !== null) throw new Error(`the app exited:\n${output}`);
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
          .then((r) => r.ok)
          .catch(() => false);
        if (ok) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the app did not answer within 60 s:\n${output}`);
    },
    async kill() {
      child?.kill('SIGKILL');
      await exited();
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited();
      rmSync(secrets, { recursive: true, force: true });
    },
    output: () => output,
  };
}
