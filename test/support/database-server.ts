/**
 * Finds a MySQL-compatible server for the tests: DATABASE_URL's server when set, else
 * 127.0.0.1:3306 as root, else a private mariadbd started in a temporary folder.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', '..', 'scripts', 'mariadb-private.sh');

export interface DatabaseServer {
  /** A mysql:// URL of the server with no database in its path. */
  serverUrl: string;
  /** Stops the server when this process started it; otherwise nothing. */
  stop(): Promise<void>;
}

export async function answers(serverUrl: string): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: serverUrl, connectTimeout: 2_000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

export async function findDatabaseServer(env: NodeJS.ProcessEnv): Promise<DatabaseServer> {
  if (env.DATABASE_URL && !env.PARLEY_TEST_PRIVATE_DB) {
    const url = new URL(env.DATABASE_URL);
    url.pathname = '/';
    return { serverUrl: url.toString(), stop: async () => {} };
  }
  const local = 'mysql://root@127.0.0.1:3306/';
  if (!env.PARLEY_TEST_PRIVATE_DB && (await answers(local))) {
    return { serverUrl: local, stop: async () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-mariadb-'));
  const port = await freePort();
  await run('bash', [script, 'start', dir, String(port)], { timeout: 60_000 });
  return {
    serverUrl: `mysql://root@127.0.0.1:${port}/`,
    async stop() {
      await run('bash', [script, 'stop', dir], { timeout: 30_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
