/**
 * A private mariadbd for one test (scripts/mariadb-private.sh), never the shared server: the
 * test may SIGKILL it by the pid in its own folder and start it again on the same data.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../server/test/support/database-server.js';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', '..', '..', 'scripts', 'mariadb-private.sh');

export interface PrivateMariadb {
  /** mysql:// URL of database `name` on it. */
  url(name: string): string;
  start(): Promise<void>;
  /** SIGKILL by the pid it wrote in this test's folder; resolves once it is gone. */
  kill(): Promise<void>;
  /** Stops it and removes its folder. */
  remove(): Promise<void>;
}

export async function privateMariadb(): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-mariadb-kill-'));
  const port = await freePort();
  return {
    url: (name) => `mysql://root@127.0.0.1:${port}/${name}`,
    async start() {
      await run('bash', [script, 'start', dir, String(port)], { timeout: 60_000 });
    },
    async kill() {
      const pid = Number(readFileSync(join(dir, 'mysqld.pid'), 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100; i += 1) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`mariadbd ${pid} did not die`);
    },
    async remove() {
      await run('bash', [script, 'stop', dir], { timeout: 30_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
