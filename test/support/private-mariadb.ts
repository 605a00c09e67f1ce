/**
 * A private mariadbd for tests that kill, lock or restart the database (never the shared one):
 * scripts/mariadb-private.sh in a temporary folder on a free loopback port, plus a SIGKILL by
 * the pid it wrote and a restart on the same port and data.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './database-server.js';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', '..', 'scripts', 'mariadb-private.sh');

export interface PrivateMariadb {
  port: number;
  /** mysql://root@127.0.0.1:<port>/ (no database). */
  serverUrl: string;
  /** mysql://root@127.0.0.1:<port>/<name>. */
  urlOf(name: string): string;
  /** Starts it unless it runs already (a second mariadbd on the same folder would clash). */
  start(): Promise<void>;
  /** SIGKILL, as a crash or a pulled plug: no clean shutdown. Resolves once it is gone. */
  kill(): Promise<void>;
  /** Stops it (if running; SIGTERM, then SIGKILL) and deletes its folder. */
  destroy(): Promise<void>;
}

/** Reserves a folder and a port; `start` (re)starts the server there. */
export async function createPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-private-db-'));
  const port = await freePort();
  const serverUrl = `mysql://root@127.0.0.1:${port}/`;
  const pid = () => {
    try {
      return Number(readFileSync(join(dir, 'mysqld.pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  };
  const alive = (p: number) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  // The pid of the server this helper started, read once it answers.
  let running: number | undefined;
  const gone = async (p: number) => {
    for (let i = 0; i < 200 && alive(p); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const signal = async (sig: NodeJS.Signals) => {
    const p = running;
    if (p === undefined) return;
    if (alive(p)) process.kill(p, sig);
    await gone(p);
    if (!alive(p)) running = undefined;
  };
  return {
    port,
    serverUrl,
    urlOf: (name) => `${serverUrl}${name}`,
    async start() {
      if (running !== undefined && alive(running)) return;
      await run('bash', [script, 'start', dir, String(port)], { timeout: 90_000 });
      running = pid();
    },
    async kill() {
      await signal('SIGKILL');
      rmSync(join(dir, 'mysqld.pid'), { force: true });
    },
    async destroy() {
      await signal('SIGTERM');
      await signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
