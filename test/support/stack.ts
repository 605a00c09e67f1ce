/**
 * One isolated Docker-less stack per test file, started by the real scripts/stack.sh: its own
 * state folder, free ports, its own database on the test database server, torn down (and
 * purged) at the end so nothing keeps running.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { freePort } from './database-server.js';

const run = promisify(execFile);
export const repoRoot = join(import.meta.dirname, '..', '..');
export const stackScript = join(repoRoot, 'scripts', 'stack.sh');
export const DOMAIN = 'group-10.comp3334.xavier2dc.fr';

export interface TestStack {
  dir: string;
  domain: string;
  httpsPort: number;
  httpPort: number;
  /** https://DOMAIN:HTTPS_PORT (no trailing slash) */
  origin: string;
  /** The CA certificate the stack's server certificate chains to. */
  caFile: string;
  /** What `stack.sh up` printed. */
  output: string;
  /** The app's JSON log lines, parsed. */
  appLog(): Record<string, unknown>[];
  down(): Promise<void>;
}

/** The environment a stack.sh run gets: the test's database server, fresh ports and folder. */
export async function stackEnvironment(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-stack-'));
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  // The stack uses the tests' database server, whatever the caller's shell forces.
  const { STACK_PRIVATE_DB: _forced, STACK_DATABASE_URL: _given, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    DATABASE_URL: inject('databaseServerUrl'),
    STACK_DIR: dir,
    STACK_DATABASE_NAME: `parley_stack_${randomBytes(5).toString('hex')}`,
    DOMAIN,
    HTTPS_PORT: String(httpsPort),
    HTTP_PORT: String(httpPort),
    ...extra,
  };
  return { dir, httpsPort, httpPort, env };
}

export function runStack(args: string[], env: NodeJS.ProcessEnv) {
  return run('bash', [stackScript, ...args], { env, timeout: 180_000, cwd: repoRoot });
}

export async function startStack(extra: Record<string, string> = {}): Promise<TestStack> {
  const { dir, httpsPort, httpPort, env } = await stackEnvironment(extra);
  const down = async () => {
    await runStack(['down', '--purge'], env);
  };
  let output: string;
  try {
    output = (await runStack(['up'], env)).stdout;
  } catch (error) {
    await down().catch(() => {});
    throw error;
  }
  return {
    dir,
    domain: DOMAIN,
    httpsPort,
    httpPort,
    origin: `https://${DOMAIN}:${httpsPort}`,
    caFile: join(dir, 'ca', 'ca.crt'),
    output,
    appLog: () =>
      readFileSync(join(dir, 'app.log'), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    down,
  };
}
