/**
 * One relay server for bench/relay.bench.ts, run in a child process of its own so its RSS and
 * event loop are its alone (the load client runs in the parent, on the same 2 cores):
 *
 * - `parley`: the real app, wired and served as server/main.ts serves it (createApp, the Node
 *   adapter's WebSocket upgrade, a `ws` server with the same maxPayload, the 25 s pings), with
 *   production settings (production scrypt) against the real database;
 * - `bare`: a bare `ws` relay: parse the frame, ack it, forward it to the recipient's sockets;
 * - `bare-insert`: the same, with one INSERT per message into the same `messages` table (mysql2
 *   `execute`, a prepared statement), acknowledged after the INSERT.
 *
 * Commands arrive over IPC (see ServerCommand); the server answers each with `{ reply, ... }`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mysql from 'mysql2/promise';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { systemClock } from '../server/clock.js';
import { createLocalCluster } from '../server/cluster/cluster.js';
import { createRedisCluster } from '../server/cluster/redis-cluster.js';
import { loadConfig } from '../server/config.js';
import { createDatabase } from '../server/db/client.js';
import { pairKeyOf } from '../server/db/message-store.js';
import { createMemoryLogger } from '../server/logger.js';
import { packageRoot } from '../server/paths.js';
import { MAX_FRAME_BYTES } from '../server/routes/live-channel.js';
import { serveApp, upgradeWebSocket } from '../server/serve.js';
import { ApiClient, type SignedUp, signIn, signUp } from '../test/support/api-client.js';
import { buildBenchApp } from './bench-app.js';

export type ServerKind = 'parley' | 'bare' | 'bare-insert';

export type ServerCommand =
  | { command: 'rss' }
  | { command: 'sockets' }
  | { command: 'stall-start' }
  | { command: 'stall-stop' }
  | { command: 'prepare-sign-ins'; count: number; password: string }
  | { command: 'sign-ins'; concurrency: number; total: number }
  | { command: 'stop' };

export const BENCH_ORIGIN = 'http://localhost:3000';

const kind = process.env.RELAY_BENCH_KIND as ServerKind;
const databaseUrl = process.env.RELAY_BENCH_DATABASE_URL ?? '';
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const reply = (message: Record<string, unknown>) => process.send?.({ reply: true, ...message });

let stall: ReturnType<typeof monitorEventLoopDelay> | undefined;
let stallCause: ReturnType<typeof traceStallCause> | undefined;

/**
 * RELAY_BENCH_STALL_CAUSE=1 (Linux): where the longest gap between two 1 ms ticks of this
 * process's main thread went, from /proc's schedstat: running (JavaScript, GC: work on the
 * event loop) or waiting for a core on the run queue (the machine is busy), or neither
 * (blocked in the kernel).
 */
function traceStallCause() {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  const read = () => readFileSync(file, 'utf8').split(' ').map(Number);
  let [lastRun = 0, lastWait = 0] = read();
  let last = performance.now();
  let longest = { gapMs: 0, runningMs: 0, runQueueMs: 0 };
  const timer = setInterval(() => {
    const now = performance.now();
    const [run = 0, wait = 0] = read();
    if (now - last > longest.gapMs) {
      longest = {
        gapMs: now - last,
        runningMs: (run - lastRun) / 1e6,
        runQueueMs: (wait - lastWait) / 1e6,
      };
    }
    [last, lastRun, lastWait] = [now, run, wait];
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return longest;
    },
  };
}
let countSockets: () => number = () => 0;
let stopServer: () => Promise<void> = async () => {};
let signIns:
  | {
      prepare(count: number, password: string): Promise<void>;
      run(concurrency: number, total: number): Promise<number>;
    }
  | undefined;

if (kind === 'parley') {
  const root = packageRoot();
  const base = loadConfig(
    {
      NODE_ENV: 'production',
      PUBLIC_ORIGIN: BENCH_ORIGIN,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX,
    },
    root,
  );
  const database = createDatabase(databaseUrl);
  const logger = createMemoryLogger('warn');
  // As main.ts: several instances share through Redis when REDIS_URL is set.
  const cluster = base.redisUrl
    ? createRedisCluster({ url: base.redisUrl, prefix: base.redisKeyPrefix, logger })
    : createLocalCluster(systemClock);
  const { app, captcha } = buildBenchApp({
    config: base,
    database,
    logger,
    cluster,
    upgradeWebSocket,
  });
  // Served as main.ts serves it; the live channel's own heartbeat pings the sockets.
  const served = await serveApp({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  countSockets = () => served.socketCount();
  stopServer = async () => {
    await served.close({ terminate: true });
    await cluster.close();
    await database.close();
  };
  const users: (SignedUp & { name: string })[] = [];
  signIns = {
    async prepare(count, password) {
      for (let i = users.length; i < count; i += 1) {
        const name = `bench${process.pid}x${i}`;
        users.push({
          name,
          ...(await signUp(new ApiClient(app, BENCH_ORIGIN), captcha, name, password)),
        });
      }
      this.password = password;
    },
    password: '',
    async run(concurrency, total) {
      let next = 0;
      let failed = 0;
      const worker = async () => {
        while (next < total) {
          const index = next;
          next += 1;
          const user = users[index % users.length];
          if (!user) throw new Error('no user');
          const client = new ApiClient(app, BENCH_ORIGIN);
          client.ip = `198.18.${index % 250}.${1 + (index % 200)}`;
          const result = await signIn(client, captcha, user.name, this.password, user.key);
          if (result.status !== 200) failed += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return failed;
    },
  } as NonNullable<typeof signIns> & { password: string };
  reply({ port: served.port });
} else {
  const pool =
    kind === 'bare-insert'
      ? mysql.createPool({ uri: databaseUrl, connectionLimit: 10, timezone: 'Z' })
      : undefined;
  const byUser = new Map<string, Set<WebSocket>>();
  let nextId = 0;
  const http = createServer();
  const webSockets = new WebSocketServer({ server: http, maxPayload: MAX_FRAME_BYTES });
  webSockets.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const user = new URL(request.url ?? '/', 'http://x').searchParams.get('user') ?? '';
    const set = byUser.get(user) ?? new Set();
    set.add(socket);
    byUser.set(user, set);
    socket.on('close', () => {
      set.delete(socket);
      if (set.size === 0) byUser.delete(user);
    });
    socket.send(JSON.stringify({ type: 'hello', protocol: 1 }));
    socket.on('message', async (data) => {
      const frame = JSON.parse(String(data)) as {
        type: string;
        clientMessageId: string;
        to: string;
        payload: string;
      };
      if (frame.type !== 'send') return;
      const at = new Date();
      let id: number;
      if (pool) {
        const [result] = await pool.execute(
          'INSERT INTO messages (sender_id, recipient_id, pair_key, client_message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          [
            user,
            frame.to,
            pairKeyOf(Number(user), Number(frame.to)),
            frame.clientMessageId,
            frame.payload,
            at,
          ],
        );
        id = (result as { insertId: number }).insertId;
      } else {
        nextId += 1;
        id = nextId;
      }
      const iso = at.toISOString();
      socket.send(
        JSON.stringify({ type: 'ack', clientMessageId: frame.clientMessageId, id, at: iso }),
      );
      const message = JSON.stringify({
        type: 'message',
        id,
        from: user,
        to: frame.to,
        payload: frame.payload,
        at: iso,
      });
      for (const peer of byUser.get(frame.to) ?? []) peer.send(message);
    });
  });
  countSockets = () => webSockets.clients.size;
  stopServer = async () => {
    for (const client of webSockets.clients) client.terminate();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await pool?.end();
  };
  http.listen(0, '127.0.0.1', () => reply({ port: (http.address() as AddressInfo).port }));
}

process.on('message', async (message: ServerCommand) => {
  switch (message.command) {
    case 'rss':
      gc();
      gc();
      reply({ rss: process.memoryUsage().rss });
      break;
    case 'sockets':
      reply({ sockets: countSockets() });
      break;
    case 'stall-start':
      stall = monitorEventLoopDelay({ resolution: 1 });
      stall.enable();
      if (process.env.RELAY_BENCH_STALL_CAUSE && existsSync('/proc/self/schedstat')) {
        stallCause = traceStallCause();
      }
      reply({});
      break;
    case 'stall-stop':
      stall?.disable();
      reply({ maxStallMs: (stall?.max ?? 0) / 1e6, longestGap: stallCause?.stop() });
      stallCause = undefined;
      break;
    case 'prepare-sign-ins':
      await signIns?.prepare(message.count, message.password);
      reply({});
      break;
    case 'sign-ins': {
      const started = performance.now();
      const failed = (await signIns?.run(message.concurrency, message.total)) ?? message.total;
      reply({ failed, ms: performance.now() - started });
      break;
    }
    case 'stop':
      await stopServer();
      reply({});
      process.exit(0);
  }
});
// The bench parent going away takes this server with it.
process.on('disconnect', () => process.exit(0));
