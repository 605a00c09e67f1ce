/**
 * `npm run bench -- relay`: Parley's relay (the real app, served as main.ts serves it, real
 * database) against a bare `ws` relay and a bare `ws` relay doing one INSERT per message, with
 * the same ~480-byte frames (a valid `msg` envelope with 200 bytes of ciphertext). Each relay runs
 * in a child process of its own (bench/relay-server.ts); the load client runs in this process,
 * on the same cores, over loopback only. Every figure is a ratio against a baseline measured in
 * the same run, right next to it, repeated (min/median/max):
 *
 * - throughput (acknowledged messages per second) at 10 and 100 pairs, 1 and 16 in flight;
 * - send → delivery latency p50/p99/max at 100, 1,000 and 3,000 msg/s offered (10 pairs);
 * - RSS per idle authenticated socket at 1,000 and 5,000 sockets;
 * - the longest event-loop stall of the relay carrying 500 msg/s with 8 concurrent sign-ins
 *   (production scrypt), against the same load without sign-ins;
 * - cross-instance against same-instance latency through Redis (two app instances, one
 *   database), when a Redis answers at REDIS_URL or 127.0.0.1:6379.
 *
 * Settings (environment): RELAY_BENCH_SECONDS per measurement (default 3), RELAY_BENCH_REPEATS
 * (3), RELAY_BENCH_PAIRS ("10,100"), RELAY_BENCH_RATES ("100,1000,3000"), RELAY_BENCH_IDLE
 * ("1000,5000"), RELAY_BENCH_SIGN_INS (16, at 8 concurrent), RELAY_BENCH_ONLY (a comma list of
 * throughput, latency, idle, stall, cross), RELAY_BENCH_STALL_CAUSE=1 (Linux: for the longest
 * gap of the stall part, how long the relay's main thread ran and how long it waited for a core;
 * see relay-server.ts). A quick run, and the stall part alone (about 2 minutes):
 *   RELAY_BENCH_SECONDS=1 RELAY_BENCH_IDLE=1000 RELAY_BENCH_SIGN_INS=8 npm run bench -- relay
 *   RELAY_BENCH_ONLY=stall RELAY_BENCH_SECONDS=1 RELAY_BENCH_SIGN_INS=8 npm run bench -- relay
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { hashToken, newSecretToken } from '../server/auth/secret-token.js';
import { migrateDatabase } from '../server/db/migrate.js';
import { SESSION_COOKIE } from '../server/http/session-cookie.js';
import { packageRoot } from '../server/paths.js';
import { systemRandom } from '../server/random.js';
import { findDatabaseServer } from '../test/support/database-server.js';
import { redisAnswers } from '../test/support/redis-server.js';
import type { Benchmark } from './lib.js';
import {
  closeAll,
  type Endpoint,
  type LatencyResult,
  latency,
  openMany,
  type Pair,
  sleep,
  startLoad,
  throughput,
} from './relay-load.js';
import { BENCH_ORIGIN, type ServerCommand, type ServerKind } from './relay-server.js';

const env = process.env;
const list = (value: string | undefined, fallback: number[]) =>
  value ? value.split(',').map(Number) : fallback;
const SECONDS = Number(env.RELAY_BENCH_SECONDS ?? 3);
const REPEATS = Number(env.RELAY_BENCH_REPEATS ?? 3);
const PAIRS = list(env.RELAY_BENCH_PAIRS, [10, 100]);
const RATES = list(env.RELAY_BENCH_RATES, [100, 1_000, 3_000]);
const IDLE = list(env.RELAY_BENCH_IDLE, [1_000, 5_000]);
const SIGN_INS = Number(env.RELAY_BENCH_SIGN_INS ?? 16);
const ONLY = env.RELAY_BENCH_ONLY?.split(',');
const wanted = (section: string) => !ONLY || ONLY.includes(section);
const DURATION_MS = SECONDS * 1000;
const PASSWORD = 'correct horse battery staple';

interface RelayServer {
  kind: ServerKind;
  port: number;
  call<T = Record<string, unknown>>(command: ServerCommand): Promise<T>;
  stop(): Promise<void>;
}

async function startServer(
  kind: ServerKind,
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<RelayServer> {
  const child: ChildProcess = fork(join(import.meta.dirname, 'relay-server.ts'), [], {
    env: { ...env, ...extraEnv, RELAY_BENCH_KIND: kind, RELAY_BENCH_DATABASE_URL: databaseUrl },
    // RELAY_BENCH_CPU_PROF=<dir>: a V8 CPU profile of each Parley server, written when it stops.
    ...(env.RELAY_BENCH_CPU_PROF && kind === 'parley'
      ? {
          execArgv: [
            ...process.execArgv,
            '--cpu-prof',
            `--cpu-prof-dir=${env.RELAY_BENCH_CPU_PROF}`,
          ],
        }
      : {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: Array<{
    resolve: (message: Record<string, unknown>) => void;
    reject: (error: Error) => void;
  }> = [];
  child.on('message', (message: Record<string, unknown>) => replies.shift()?.resolve(message));
  child.once('exit', (code) => {
    for (const waiting of replies.splice(0)) {
      waiting.reject(new Error(`${kind} relay exited (${code})`));
    }
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => replies.push({ resolve, reject }));
  const { port } = (await next()) as { port: number };
  const call = async <T>(command: ServerCommand) => {
    const answer = next();
    child.send(command);
    return (await answer) as T;
  };
  return {
    kind,
    port,
    call,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ command: 'stop' } satisfies ServerCommand);
      // A server that does not stop within 5 s is killed (by the pid this bench started).
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Users and sessions written straight into the database: sign-up is not what we measure. */
async function createUsers(admin: mysql.Connection, count: number): Promise<string[]> {
  const now = new Date();
  const tag = randomBytes(3).toString('hex');
  const rows = Array.from({ length: count }, (_, i) => {
    const name = `r${tag}${i}`;
    return [name, name, '$none', now, now];
  });
  const [result] = await admin.query(
    'INSERT INTO users (username, username_key, password_hash, password_changed_at, created_at) VALUES ?',
    [rows],
  );
  const first = (result as { insertId: number }).insertId;
  return Array.from({ length: count }, (_, i) => String(first + i));
}

async function createSessions(admin: mysql.Connection, userIds: string[]): Promise<string[]> {
  const now = new Date();
  const tokens = userIds.map(() => newSecretToken(systemRandom));
  const rows = tokens.map((token, i) => [
    hashToken(token),
    userIds[i],
    'full',
    newSecretToken(systemRandom),
    now,
    now,
    now,
    '127.0.0.1',
    'relay-bench',
  ]);
  for (let i = 0; i < rows.length; i += 1000) {
    await admin.query(
      'INSERT INTO sessions (id_hash, user_id, kind, csrf_token, created_at, authenticated_at, last_active_at, ip, user_agent) VALUES ?',
      [rows.slice(i, i + 1000)],
    );
  }
  return tokens;
}

function endpoint(server: RelayServer, userId: string, token: string): Endpoint {
  return server.kind === 'parley'
    ? {
        url: `ws://127.0.0.1:${server.port}/api/ws`,
        headers: { origin: BENCH_ORIGIN, cookie: `${SESSION_COOKIE}=${token}` },
        userId,
      }
    : { url: `ws://127.0.0.1:${server.port}/?user=${userId}`, headers: {}, userId };
}

interface Identity {
  userId: string;
  token: string;
}

function pairsOn(
  senders: RelayServer,
  recipients: RelayServer,
  people: Identity[],
  count: number,
): Pair[] {
  return Array.from({ length: count }, (_, i) => {
    const a = people[2 * i] as Identity;
    const b = people[2 * i + 1] as Identity;
    return {
      sender: endpoint(senders, a.userId, a.token),
      recipient: endpoint(recipients, b.userId, b.token),
    };
  });
}

// --- Figures: each row holds one value per repetition, for the measure and its baseline.

interface Row {
  measure: string;
  unit: string;
  baseline: string;
  values: number[];
  baselines: number[];
  note?: string;
}
const rows: Row[] = [];

function record(measure: string, unit: string, baseline: string, value: number, base: number) {
  let row = rows.find((r) => r.measure === measure && r.baseline === baseline);
  if (!row) {
    row = { measure, unit, baseline, values: [], baselines: [] };
    rows.push(row);
  }
  row.values.push(value);
  row.baselines.push(base);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const fmt = (value: number) =>
  !Number.isFinite(value)
    ? 'n/a'
    : Math.abs(value) >= 100
      ? value.toFixed(0)
      : Math.abs(value) >= 10
        ? value.toFixed(1)
        : value.toFixed(2);

function printTable() {
  console.log(
    `\n  | measure | Parley (median) | baseline | baseline (median) | ratio min / median / max |`,
  );
  console.log('  | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const ratios = row.values.map((v, i) => v / (row.baselines[i] as number));
    const finite = ratios.filter(Number.isFinite).sort((a, b) => a - b);
    const ratio = finite.length
      ? `${fmt(finite[0] as number)} / ${fmt(median(finite))} / ${fmt(finite[finite.length - 1] as number)}`
      : 'n/a';
    console.log(
      `  | ${row.measure} | ${fmt(median(row.values))} ${row.unit} | ${row.baseline} | ${fmt(median(row.baselines))} ${row.unit} | ${ratio}${row.note ? ` (${row.note})` : ''} |`,
    );
  }
}

const progress = (text: string) => console.log(`  … ${text}`);

const benchmark: Benchmark = {
  title: 'Relay: Parley vs a bare ws relay and a bare ws relay with one INSERT per message',
  async run() {
    const dbServer = await findDatabaseServer(env);
    const name = `parley_relay_bench_${randomBytes(6).toString('hex')}`;
    const admin = await mysql.createConnection({ uri: dbServer.serverUrl });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const url = new URL(dbServer.serverUrl);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    await migrateDatabase(databaseUrl, `${packageRoot()}/db/migrations`);
    await admin.query(`USE \`${name}\``);
    const servers: RelayServer[] = [];
    try {
      const maxPairs = Math.max(...PAIRS, 10);
      const userIds = await createUsers(admin, 2 * maxPairs);
      const tokens = await createSessions(admin, userIds);
      const people = userIds.map((userId, i) => ({ userId, token: tokens[i] as string }));

      const bare = await startServer('bare', databaseUrl);
      const bareInsert = await startServer('bare-insert', databaseUrl);
      const parley = await startServer('parley', databaseUrl);
      servers.push(bare, bareInsert, parley);
      console.log(
        `  ${REPEATS} repetitions, ${SECONDS} s per measurement; load client in this process (pid ${process.pid})`,
      );

      if (wanted('throughput')) {
        for (const pairCount of PAIRS) {
          for (const inFlight of [1, 16]) {
            for (let rep = 0; rep < REPEATS; rep += 1) {
              const results = new Map<ServerKind, number>();
              for (const server of [bare, bareInsert, parley]) {
                const result = await throughput(pairsOn(server, server, people, pairCount), {
                  inFlight,
                  durationMs: DURATION_MS,
                  warmupMs: Math.min(1_000, DURATION_MS / 3),
                });
                results.set(server.kind, result.perSecond);
              }
              const measure = `throughput, ${pairCount} pairs × ${inFlight} in flight`;
              const p = results.get('parley') as number;
              record(measure, 'msg/s', 'bare ws + INSERT', p, results.get('bare-insert') as number);
              record(measure, 'msg/s', 'bare ws', p, results.get('bare') as number);
              progress(
                `${measure}: Parley ${p.toFixed(0)}, bare+INSERT ${results.get('bare-insert')?.toFixed(0)}, bare ${results.get('bare')?.toFixed(0)} msg/s`,
              );
            }
          }
        }
      }

      if (wanted('latency')) {
        for (const rate of RATES) {
          for (let rep = 0; rep < REPEATS; rep += 1) {
            const results = new Map<ServerKind, LatencyResult>();
            for (const server of [bare, bareInsert, parley]) {
              results.set(
                server.kind,
                await latency(pairsOn(server, server, people, 10), rate, DURATION_MS),
              );
            }
            const p = results.get('parley') as LatencyResult;
            const b = results.get('bare-insert') as LatencyResult;
            const raw = results.get('bare') as LatencyResult;
            for (const q of ['p50Ms', 'p99Ms', 'maxMs'] as const) {
              const measure = `latency ${q.replace('Ms', '')} at ${rate} msg/s offered`;
              record(measure, 'ms', 'bare ws + INSERT', p[q], b[q]);
              record(measure, 'ms', 'bare ws', p[q], raw[q]);
            }
            record(
              `delivered/s at ${rate} msg/s offered`,
              'msg/s',
              'bare ws + INSERT',
              p.deliveredPerSecond,
              b.deliveredPerSecond,
            );
            record(
              `refused at ${rate} msg/s offered (share of sent)`,
              '',
              'bare ws + INSERT',
              p.refused / p.sent,
              b.refused / b.sent,
            );
            progress(
              `${rate} msg/s: Parley p50 ${p.p50Ms.toFixed(1)} p99 ${p.p99Ms.toFixed(1)} max ${p.maxMs.toFixed(0)} ms, ${p.deliveredPerSecond.toFixed(0)}/s delivered, ${p.refused}/${p.sent} refused, ${p.unanswered} unanswered; bare+INSERT p99 ${b.p99Ms.toFixed(1)} ms; bare p99 ${raw.p99Ms.toFixed(1)} ms`,
            );
          }
        }
      }

      if (wanted('idle')) {
        const maxIdle = Math.max(...IDLE);
        // At most 16 sockets per session: one session for every 8 sockets.
        const idleTokens = await createSessions(
          admin,
          Array.from(
            { length: Math.ceil(maxIdle / 8) },
            (_, i) => userIds[i % userIds.length] as string,
          ),
        );
        for (const count of IDLE) {
          for (let rep = 0; rep < REPEATS; rep += 1) {
            const perSocket = new Map<ServerKind, number>();
            // Fresh processes: what earlier measurements allocated and freed would blur RSS.
            for (const kind of ['bare', 'parley'] as const) {
              const server = await startServer(kind, databaseUrl);
              try {
                const endpoints = Array.from({ length: count }, (_, i) => {
                  const session = Math.floor(i / 8);
                  return endpoint(
                    server,
                    userIds[session % userIds.length] as string,
                    idleTokens[session] as string,
                  );
                });
                // Warm up the code paths (and their allocations) on a few sockets first.
                await closeAll(await openMany(endpoints.slice(0, 64)));
                await sleep(200);
                const before = (await server.call<{ rss: number }>({ command: 'rss' })).rss;
                const sockets = await openMany(endpoints);
                await sleep(500);
                const after = (await server.call<{ rss: number }>({ command: 'rss' })).rss;
                perSocket.set(kind, (after - before) / 1024 / count);
                await closeAll(sockets);
              } finally {
                await server.stop();
              }
            }
            const p = perSocket.get('parley') as number;
            record(
              `RSS per idle socket at ${count}`,
              'KiB',
              'bare ws',
              p,
              perSocket.get('bare') as number,
            );
            progress(
              `${count} idle sockets: Parley ${p.toFixed(1)} KiB, bare ${perSocket.get('bare')?.toFixed(1)} KiB each`,
            );
          }
        }
      }

      if (wanted('stall')) {
        progress('signing up 8 users at production scrypt');
        await parley.call({ command: 'prepare-sign-ins', count: 8, password: PASSWORD });
        for (let rep = 0; rep < REPEATS; rep += 1) {
          const phase = async (withSignIns: boolean) => {
            const load = startLoad(pairsOn(parley, parley, people, 10), 500);
            await load.ready;
            await sleep(200);
            await parley.call({ command: 'stall-start' });
            let failed = 0;
            if (withSignIns) {
              ({ failed } = await parley.call<{ failed: number }>({
                command: 'sign-ins',
                concurrency: 8,
                total: SIGN_INS,
              }));
            } else await sleep(DURATION_MS);
            const { maxStallMs, longestGap } = await parley.call<{
              maxStallMs: number;
              longestGap?: { gapMs: number; runningMs: number; runQueueMs: number };
            }>({ command: 'stall-stop' });
            const result = await load.stop();
            if (longestGap) {
              progress(
                `longest gap ${longestGap.gapMs.toFixed(0)} ms${withSignIns ? ' (sign-ins)' : ''}: main thread running ${longestGap.runningMs.toFixed(1)} ms, waiting for a core ${longestGap.runQueueMs.toFixed(1)} ms`,
              );
            }
            return { maxStallMs, p99Ms: result.p99Ms, failed };
          };
          const quiet = await phase(false);
          const busy = await phase(true);
          record(
            'longest event-loop stall, 500 msg/s + 8 concurrent sign-ins',
            'ms',
            'the same load without sign-ins',
            busy.maxStallMs,
            quiet.maxStallMs,
          );
          record(
            'longest event-loop stall, 500 msg/s + 8 concurrent sign-ins',
            'ms',
            'the 20 ms target',
            busy.maxStallMs,
            20,
          );
          record(
            'relay p99 at 500 msg/s during 8 concurrent sign-ins',
            'ms',
            'the same load without sign-ins',
            busy.p99Ms,
            quiet.p99Ms,
          );
          progress(
            `stall: ${busy.maxStallMs.toFixed(1)} ms with sign-ins (${busy.failed} failed), ${quiet.maxStallMs.toFixed(1)} ms without; relay p99 ${busy.p99Ms.toFixed(1)} vs ${quiet.p99Ms.toFixed(1)} ms`,
          );
        }
      }

      if (wanted('cross')) {
        const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
        if (!(await redisAnswers(redisUrl))) {
          console.log(`  cross-instance: no Redis answers at ${redisUrl}; skipped`);
        } else {
          const prefix = `parley-bench-${randomBytes(4).toString('hex')}:`;
          const redisEnv = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix };
          const a = await startServer('parley', databaseUrl, redisEnv);
          const b = await startServer('parley', databaseUrl, redisEnv);
          servers.push(a, b);
          for (let rep = 0; rep < REPEATS; rep += 1) {
            const same = await latency(pairsOn(a, a, people, 10), 500, DURATION_MS);
            const cross = await latency(pairsOn(a, b, people, 10), 500, DURATION_MS);
            record(
              'cross-instance latency p99 at 500 msg/s (through Redis)',
              'ms',
              'same instance',
              cross.p99Ms,
              same.p99Ms,
            );
            record(
              'cross-instance latency p50 at 500 msg/s (through Redis)',
              'ms',
              'same instance',
              cross.p50Ms,
              same.p50Ms,
            );
            record(
              'cross-instance delivered/s at 500 msg/s',
              'msg/s',
              'same instance',
              cross.deliveredPerSecond,
              same.deliveredPerSecond,
            );
            progress(
              `cross-instance: p99 ${cross.p99Ms.toFixed(1)} ms (${cross.deliveredPerSecond.toFixed(0)}/s delivered) vs same ${same.p99Ms.toFixed(1)} ms (${same.deliveredPerSecond.toFixed(0)}/s)`,
            );
          }
        }
      }
      printTable();
    } finally {
      for (const server of servers) await server.stop();
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
      await dbServer.stop();
    }
  },
};

export default benchmark;
