/**
 * Sign-ins per second through the whole in-process app (password step at PRODUCTION_SCRYPT, then
 * the security key, a session row, security events) against a real database, at 2 and 8
 * concurrent attempts, with the longest event-loop stall during each run (target: under 20 ms,
 * so the live channel stays responsive). Baseline, same run and concurrency: GET /healthz, a
 * request that touches the database but hashes nothing.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import { loadConfig } from '../server/config.js';
import { createDatabase } from '../server/db/client.js';
import { migrateDatabase } from '../server/db/migrate.js';
import { createMemoryLogger } from '../server/logger.js';
import { packageRoot } from '../server/paths.js';
import { ApiClient, type SignedUp, signIn, signUp } from '../test/support/api-client.js';
import { findDatabaseServer } from '../test/support/database-server.js';
import { buildBenchApp } from './bench-app.js';
import { type Benchmark, report } from './lib.js';

const ORIGIN = 'http://localhost:3000';
const PASSWORD = 'correct horse battery staple';
const SIGN_INS_PER_RUN = 16;
const STALL_TARGET_MS = 20;

interface RunResult {
  perSecond: number;
  maxStallMs: number;
}

async function concurrently(
  operation: (index: number) => Promise<unknown>,
  concurrency: number,
  total: number,
): Promise<RunResult> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next;
      next += 1;
      await operation(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - start;
  histogram.disable();
  return { perSecond: (total * 1000) / elapsed, maxStallMs: histogram.max / 1e6 };
}

const benchmark: Benchmark = {
  title: 'Sign-in throughput (password at production scrypt + security key, real database)',
  async run() {
    const server = await findDatabaseServer(process.env);
    const name = `parley_bench_${randomBytes(6).toString('hex')}`;
    const admin = await mysql.createConnection({ uri: server.serverUrl });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const url = new URL(server.serverUrl);
    url.pathname = `/${name}`;
    const root = packageRoot();
    await migrateDatabase(url.toString(), `${root}/db/migrations`);
    const database = createDatabase(url.toString(), { connectionLimit: 10 });
    try {
      const base = loadConfig({ NODE_ENV: 'production', PUBLIC_ORIGIN: ORIGIN }, root);
      const { app, captcha } = buildBenchApp({
        config: base,
        database,
        logger: createMemoryLogger('warn'),
      });
      const users: (SignedUp & { name: string })[] = [];
      for (let i = 0; i < 8; i += 1) {
        const username = `bench${i}`;
        users.push({
          name: username,
          ...(await signUp(new ApiClient(app, ORIGIN), captcha, username, PASSWORD)),
        });
      }
      const oneSignIn = async (index: number) => {
        const user = users[index % users.length];
        if (!user) throw new Error('no user');
        const client = new ApiClient(app, ORIGIN);
        client.ip = `198.18.${index % 250}.${index % 200}`;
        const result = await signIn(client, captcha, user.name, PASSWORD, user.key);
        if (result.status !== 200) throw new Error(`sign-in failed: ${result.status}`);
      };
      const health = async () => {
        const response = await app.request('/healthz');
        if (response.status !== 200) throw new Error('healthz failed');
      };
      await oneSignIn(0);
      for (const concurrency of [2, 8]) {
        const baseline = await concurrently(health, concurrency, 400);
        const signIns = await concurrently(oneSignIn, concurrency, SIGN_INS_PER_RUN);
        report(
          `GET /healthz at ${concurrency} concurrent (baseline)`,
          `${baseline.perSecond.toFixed(0)}/s`,
        );
        report(`sign-ins at ${concurrency} concurrent`, `${signIns.perSecond.toFixed(2)}/s`);
        report(
          `  one sign-in costs, in GET /healthz requests`,
          `${(baseline.perSecond / signIns.perSecond).toFixed(0)}`,
          { of: 'GET /healthz', times: baseline.perSecond / signIns.perSecond },
        );
        report(
          `longest event-loop stall during sign-ins at ${concurrency}`,
          `${signIns.maxStallMs.toFixed(1)} ms`,
          { of: `the ${STALL_TARGET_MS} ms target`, times: signIns.maxStallMs / STALL_TARGET_MS },
        );
        report(
          `longest event-loop stall during GET /healthz at ${concurrency}`,
          `${baseline.maxStallMs.toFixed(1)} ms`,
        );
      }
    } finally {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
      await server.stop();
    }
  },
};

export default benchmark;
