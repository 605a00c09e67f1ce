/**
 * Liveness, client side (issue 8, item 7): the real RelayClient module in Node (with `ws` as its
 * WebSocket) talks to the real app through a TCP proxy that silently stops forwarding. The
 * client notices within ping + deadline, says "offline" (the page shows "Reconnecting…"),
 * reconnects with backoff once the network heals, and the messages sent meanwhile are stored
 * once each and delivered in order. Short intervals here; the production defaults are asserted
 * to notice within 45 s (set PARLEY_LIVENESS_DEFAULTS=1 to measure with them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SESSION_COOKIE } from '../../server/http/session-cookie.js';
import { type RunningApp, startAppServer } from '../../test/support/app-server.js';
import { msgPayload, signUpUser } from '../../test/support/live-client.js';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.js';
import {
  createRelayClient,
  DEFAULT_LIVENESS,
  type RelayAck,
  type RelayStatus,
  type WebSocketLike,
} from '../src/services/chat-relay.js';

let app: RunningApp;
let proxy: TcpProxy;
beforeAll(async () => {
  app = await startAppServer();
  proxy = await startTcpProxy(Number(new URL(app.url).port));
});
afterAll(async () => {
  await proxy?.close();
  await app?.stop();
});

const useDefaults = process.env.PARLEY_LIVENESS_DEFAULTS === '1';
const LIVENESS = useDefaults
  ? DEFAULT_LIVENESS
  : { pingIntervalMs: 500, deadlineMs: 500, connectTimeoutMs: 1_000, ackTimeoutMs: 3_000 };

async function person(name: string) {
  const { id, cookie } = await signUpUser(app, name);
  return { id, cookie: `${SESSION_COOKIE}=${cookie}` };
}

describe('a half-open connection', () => {
  it('is noticed within ping + deadline; messages sent meanwhile arrive once, in order, after it heals', async () => {
    const [alice, bob] = [await person('livealice'), await person('livebob')];
    const origin = app.url;
    const relay = createRelayClient({
      url: `ws://127.0.0.1:${proxy.port}/api/ws`,
      openSocket: (url) => {
        const socket = new WebSocket(url, { headers: { origin, cookie: alice.cookie } });
        // ws reports closing a socket still connecting as an error event; a browser does not.
        socket.on('error', () => undefined);
        return socket as unknown as WebSocketLike;
      },
      backoffMs: { initial: 100, max: 1_000 },
      liveness: LIVENESS,
    });
    const statuses: { status: RelayStatus; at: number }[] = [];
    relay.onStatus((status) => statuses.push({ status, at: performance.now() }));
    // Bob reads directly, not through the proxy.
    const bobSocket = new WebSocket(`${app.url.replace('http', 'ws')}/api/ws`, {
      headers: { origin, cookie: bob.cookie },
    });
    const delivered: { id: number; payload: string }[] = [];
    bobSocket.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'message') delivered.push(frame);
    });
    try {
      await expect.poll(() => relay.status()).toBe('open');
      const payloads = Array.from({ length: 7 }, (_, i) => msgPayload(alice.id, bob.id, i + 1));
      const acks: Promise<RelayAck>[] = [relay.send(bob.id, payloads[0] as string)];
      await acks[0];

      proxy.stall();
      const stalledAt = performance.now();
      for (const payload of payloads.slice(1)) acks.push(relay.send(bob.id, payload));
      const limit = LIVENESS.pingIntervalMs + LIVENESS.deadlineMs;
      await expect
        .poll(() => statuses.some((s) => s.status === 'offline' && s.at > stalledAt), {
          timeout: limit + 10_000,
          interval: 20,
        })
        .toBe(true);
      const detectedAt = statuses.find((s) => s.status === 'offline' && s.at > stalledAt)?.at ?? 0;
      const detectionMs = detectedAt - stalledAt;
      console.log(
        `half-open connection noticed after ${Math.round(detectionMs)} ms (bound ${limit} ms)`,
      );
      // Noticed no later than ping + deadline (plus timer slack on a loaded machine).
      expect(detectionMs).toBeLessThanOrEqual(limit + 1_000);
      expect(DEFAULT_LIVENESS.pingIntervalMs + DEFAULT_LIVENESS.deadlineMs).toBeLessThanOrEqual(
        45_000,
      );
      // Still down for a while: reconnect attempts hang in the black hole and are replaced.
      await new Promise((resolve) => setTimeout(resolve, 2 * LIVENESS.connectTimeoutMs));
      expect(relay.status()).not.toBe('open');
      proxy.heal();
      const acked = await Promise.all(acks);
      expect(relay.status()).toBe('open');

      // Stored once each, delivered once each, in counter order.
      const ids = acked.map((a) => a.id);
      expect(new Set(ids).size).toBe(payloads.length);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      await expect.poll(() => delivered.length).toBe(payloads.length);
      expect(delivered.map((d) => d.payload)).toEqual(payloads);
      const [rows] = await app.testDb.database.pool.query(
        'SELECT COUNT(*) AS n FROM messages WHERE sender_id = ?',
        [Number(alice.id)],
      );
      expect(Number((rows as { n: number }[])[0]?.n)).toBe(payloads.length);
    } finally {
      relay.close();
      bobSocket.close();
    }
  }, 120_000);
});
