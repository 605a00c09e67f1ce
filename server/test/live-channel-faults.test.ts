/**
 * The live channel's liveness and backpressure with real sockets: a connection that silently
 * stops carrying packets (a TCP proxy that drops everything, no FIN or RST) is terminated by the
 * server within two ping intervals, and a recipient that never reads its socket is closed with
 * 4008 while the server's memory stays bounded (measured on the real app process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningApp, startAppServer } from '../../test/support/app-server.js';
import {
  msgPayload,
  openLiveSocket,
  signUpUser,
  type TestUser,
} from '../../test/support/live-client.js';
import { signUpUsers, spawnApp } from '../../test/support/spawned-app.js';
import { startStallProxy } from '../../test/support/stall-proxy.js';
import { createTestDatabase } from '../../test/support/test-database.js';
import { DEFAULT_LIVE_CHANNEL } from '../config.js';
import { SESSION_COOKIE } from '../http/session-cookie.js';
import { TOO_SLOW_CLOSE_CODE } from '../routes/live-channel.js';

const PING_MS = 1_000;
let server: RunningApp;
let n = 0;

beforeAll(async () => {
  server = await startAppServer({
    config: { liveChannel: { ...DEFAULT_LIVE_CHANNEL, pingIntervalMs: PING_MS } },
  });
});
afterAll(async () => {
  await server?.stop();
});

async function person() {
  n += 1;
  return signUpUser(server, `live${n}`);
}

function open(port: number, who: TestUser) {
  const opened = openLiveSocket({
    url: `ws://127.0.0.1:${port}`,
    origin: server.url,
    cookie: who.cookie,
  });
  return { ...opened, hello: opened.greeted };
}

describe('liveness', () => {
  it('terminates a half-open socket (a proxy silently drops everything) within two ping intervals; a live one stays', async () => {
    const alice = await person();
    const port = Number(new URL(server.url).port);
    const proxy = await startStallProxy(port);
    const viaProxy = open(proxy.port, alice);
    const direct = open(port, alice);
    await Promise.all([viaProxy.hello, direct.hello]);
    let directClosed = false;
    direct.socket.on('close', () => {
      directClosed = true;
    });
    // An application ping gets a pong frame: the browser's own liveness check relies on it.
    direct.socket.send(JSON.stringify({ type: 'ping', id: 'p1' }));
    await expect
      .poll(() => direct.frames.some((f) => f.type === 'pong' && f.id === 'p1'))
      .toBe(true);
    try {
      // Let a few pings pass through the healthy proxy first: answered pings keep a socket.
      await new Promise((resolve) => setTimeout(resolve, 2.5 * PING_MS));
      expect(viaProxy.socket.readyState).toBe(WebSocket.OPEN);
      const stalledAt = Date.now();
      proxy.stall();
      const closedAt = await Promise.race([
        proxy.upstreamClosed,
        new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 8 * PING_MS)),
      ]);
      const detectionMs = closedAt - stalledAt;
      console.info('half-open detection', { pingIntervalMs: PING_MS, detectionMs });
      expect(detectionMs).toBeLessThanOrEqual(2 * PING_MS + 500);
      // The client behind the proxy learned nothing (no FIN reached it): only its own check can tell.
      expect(viaProxy.socket.readyState).toBe(WebSocket.OPEN);
      // The directly connected socket answered every ping and is still open.
      expect(directClosed).toBe(false);
      expect(server.logger.lines.some((l) => l.includes('"reason":"no_pong"'))).toBe(true);
    } finally {
      viaProxy.socket.terminate();
      direct.socket.close();
      await proxy.close();
    }
  });
});

describe('backpressure', () => {
  it('closes a socket that never reads with 4008 and keeps the server’s memory bounded', async () => {
    const testDb = await createTestDatabase();
    const [alice, bob] = await signUpUsers(testDb.url, ['flooder', 'sleeper']);
    const app = await spawnApp({
      databaseUrl: testDb.url,
      env: { LIVE_PING_INTERVAL_MS: '30000' },
    });
    const sockets: WebSocket[] = [];
    try {
      await app.waitForLine(/"msg":"listening"/, 30_000);
      const connect = (cookie: string) => {
        const socket = new WebSocket(`ws://127.0.0.1:${app.port}/api/ws`, {
          headers: { origin: app.url, cookie: `${SESSION_COOKIE}=${cookie}` },
        });
        sockets.push(socket);
        socket.on('error', () => {});
        const hello = new Promise<void>((resolve) => socket.once('message', () => resolve()));
        return { socket, hello };
      };
      const sender = connect(alice!.cookie);
      const warmReader = connect(bob!.cookie);
      await Promise.all([sender.hello, warmReader.hello]);
      let acked = 0;
      sender.socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'ack') acked += 1;
      });
      // ~22 KB protocol messages (16 KiB of ciphertext, the protocol's bound).
      const flood = async (from: number, count: number) => {
        for (let i = from; i < from + count; i += 1) {
          while (i - from - (acked - from) >= 32) await new Promise((r) => setTimeout(r, 2));
          sender.socket.send(
            JSON.stringify({
              type: 'send',
              clientMessageId: `fl-${i}`,
              to: bob!.id,
              payload: msgPayload(alice!.id, bob!.id, i + 1, 16_384),
            }),
          );
        }
        while (acked < from + count) await new Promise((r) => setTimeout(r, 10));
      };
      await flood(0, 50); // warm-up of the server, with a socket that reads
      // Fifteen more sockets of the recipient (a session may hold 16), each sent every delivery. They
      // stop reading right after the greeting, before the kernel grew their receive buffers.
      const readers = Array.from({ length: 15 }, () => connect(bob!.cookie));
      await Promise.all(readers.map((r) => r.hello));
      for (const r of readers) {
        (r.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      }
      const closeCodes = readers.map(
        (r) => new Promise<number>((resolve) => r.socket.once('close', (code) => resolve(code))),
      );
      const before = app.rss();
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, app.rss());
      }, 50);
      const total = 700;
      const tooSlow = () => app.lines.filter((l) => l.includes('socket too slow')).length;
      // Half of them start reading again once the server closed them all: they drain what was
      // buffered and then get the close code.
      const resumed = readers.slice(0, 7);
      const resumer = setInterval(() => {
        if (tooSlow() < readers.length) return;
        clearInterval(resumer);
        for (const r of resumed) {
          (r.socket as unknown as { _socket: { resume(): void } })._socket.resume();
        }
      }, 20);
      const floodStarted = Date.now();
      await flood(50, total);
      const floodMs = Date.now() - floodStarted;
      clearInterval(sampler);
      peak = Math.max(peak, app.rss());
      await expect.poll(tooSlow, { timeout: 5_000 }).toBe(readers.length);
      const codes = await Promise.all(closeCodes.slice(0, 7));
      clearInterval(resumer);
      // The eight that never read are terminated by the heartbeat 1-2 intervals after the close
      // (server/routes/live-heartbeat.test.ts); their buffers are bounded meanwhile.
      const after = app.rss();
      const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
      const delivered = total * 22_000 * readers.length;
      console.info('slow reader', {
        messages: total,
        floodMs,
        pausedSockets: readers.length,
        bytesAddressedToPausedSocketsMiB: mib(delivered),
        rssBeforeMiB: mib(before),
        rssPeakMiB: mib(peak),
        rssAfterMiB: mib(after),
        peakGrowthMiB: mib(peak - before),
        closeCodes: codes,
      });
      expect(codes).toEqual(resumed.map(() => TOO_SLOW_CLOSE_CODE));
      // Unbounded, the fifteen buffers would take ~230 MiB (less what the kernel's socket
      // buffers hold); bounded, 15 x ~1 MiB plus the allocation churn of the flood itself.
      expect(peak - before).toBeLessThan(100 * 1024 * 1024);
      expect(acked).toBe(50 + total);
    } finally {
      for (const s of sockets) s.terminate();
      await app.kill('SIGKILL');
      await testDb.drop();
    }
  }, 90_000);
});
