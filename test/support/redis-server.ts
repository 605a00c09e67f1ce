/**
 * A Redis for the multi-instance tests: the shared one at 127.0.0.1:6379 when it answers (each
 * test file takes a key prefix of its own, so nothing collides), else a private redis-server.
 * A test that stops Redis always starts a private one (never the shared server).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './database-server.js';

export interface RedisServer {
  url: string;
  /** Stops the server when this process started it; otherwise nothing. */
  stop(): Promise<void>;
}

export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A unique key prefix for one test file on a shared Redis. */
export const testKeyPrefix = () => `parley-test-${randomBytes(6).toString('hex')}:`;

export async function findRedisServer(): Promise<RedisServer> {
  const shared = 'redis://127.0.0.1:6379';
  if (await redisAnswers(shared)) return { url: shared, stop: async () => {} };
  return startPrivateRedis();
}

/** A redis-server of our own on a free loopback port, no persistence; stop() ends it by pid. */
export async function startPrivateRedis(port?: number): Promise<RedisServer & { port: number }> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(chosen),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${chosen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port: chosen,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
