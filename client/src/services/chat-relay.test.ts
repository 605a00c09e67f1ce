/**
 * The relay client against scripted sockets and a fake clock: transient refusals are resent
 * with the same client id, head first, in order, after a growing pause; a connection that
 * goes silent, never greets, or never acknowledges is replaced and everything unacknowledged
 * goes again. The real socket path (a TCP proxy that drops traffic) is in
 * client/test/relay-liveness.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createRelayClient,
  DEFAULT_LIVENESS,
  RelayRefusedError,
  type WebSocketLike,
} from './chat-relay.js';

class ScriptedSocket implements WebSocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number) {
    this.closedWith = code ?? 1000;
  }
  /** The server greets: the client may send. */
  hello() {
    this.readyState = 1;
    this.frame({ type: 'hello', protocol: 1 });
  }
  frame(value: unknown) {
    this.onmessage?.({ data: JSON.stringify(value) } as MessageEvent);
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
  sends() {
    return this.sent.filter((f) => f.type === 'send').map((f) => f.clientMessageId);
  }
}

let sockets: ScriptedSocket[];
const last = () => sockets.at(-1) as ScriptedSocket;
let ids = 0;

function client(liveness = {}) {
  return createRelayClient({
    url: 'ws://test/api/ws',
    openSocket: () => {
      const socket = new ScriptedSocket();
      sockets.push(socket);
      return socket;
    },
    newId: () => {
      ids += 1;
      return `c${ids}`;
    },
    random: () => 1,
    liveness,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  ids = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

const ack = (socket: ScriptedSocket, clientMessageId: unknown, id: number) =>
  socket.frame({ type: 'ack', clientMessageId, id, at: new Date(0).toISOString() });
const refuse = (socket: ScriptedSocket, clientMessageId: unknown, code: string) =>
  socket.frame({ type: 'error', code, message: code, clientMessageId });

describe('transient refusals', () => {
  it.each(['relay_failed', 'too_many_pending', 'some_new_code'])(
    '%s: resent with the same id, head first, in order, after a pause; resolves on the ack',
    async (code) => {
      const relay = client();
      last().hello();
      const acks: number[] = [];
      const sends = [1, 2, 3].map((n) =>
        relay.send('2', `payload ${n}`).then((a) => acks.push(a.id)),
      );
      expect(last().sends()).toEqual(['c1', 'c2', 'c3']);
      // The store failed for c1; the relay refuses the later frames of the conversation too.
      refuse(last(), 'c1', code);
      refuse(last(), 'c2', code);
      refuse(last(), 'c3', code);
      expect(last().sends()).toEqual(['c1', 'c2', 'c3']);
      await vi.advanceTimersByTimeAsync(499);
      expect(last().sends()).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(1);
      expect(last().sends()).toEqual(['c1', 'c2', 'c3', 'c1', 'c2', 'c3']);
      // Fails again: the pause grows.
      refuse(last(), 'c1', code);
      await vi.advanceTimersByTimeAsync(999);
      expect(last().sends()).toHaveLength(6);
      await vi.advanceTimersByTimeAsync(1);
      expect(last().sends().slice(6)).toEqual(['c1']);
      for (const [i, id] of ['c1', 'c2', 'c3'].entries()) ack(last(), id, i + 10);
      await Promise.all(sends);
      expect(acks).toEqual([10, 11, 12]);
      expect(relay.pendingCount()).toBe(0);
      expect(sockets).toHaveLength(1);
    },
  );

  it('a permanent refusal rejects the send: resending would not help', async () => {
    const relay = client();
    last().hello();
    const sent = relay.send('2', 'x');
    refuse(last(), 'c1', 'payload_too_large');
    await expect(sent).rejects.toBeInstanceOf(RelayRefusedError);
  });

  it('a send given a client id keeps it, also across a dropped socket', async () => {
    const relay = client();
    last().hello();
    const sent = relay.send('2', 'typed before the reload', 'kept-id');
    last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    last().hello();
    expect(last().sends()).toEqual(['kept-id']);
    ack(last(), 'kept-id', 5);
    await expect(sent).resolves.toMatchObject({ id: 5 });
  });
});

describe('liveness', () => {
  it('production defaults notice a silent connection within 45 s', () => {
    expect(DEFAULT_LIVENESS.pingIntervalMs + DEFAULT_LIVENESS.deadlineMs).toBeLessThanOrEqual(
      45_000,
    );
    expect(DEFAULT_LIVENESS.connectTimeoutMs).toBeLessThanOrEqual(45_000);
    // nginx closes a proxied socket idle for 60 s: a ping must cross before that.
    expect(DEFAULT_LIVENESS.pingIntervalMs).toBeLessThan(60_000);
  });

  it('a connection that goes silent is replaced within ping + deadline; unacknowledged sends go again', async () => {
    const relay = client();
    const statuses: string[] = [];
    relay.onStatus((s) => statuses.push(s));
    last().hello();
    const first = last();
    const sent = relay.send('2', 'during the outage');
    expect(first.sends()).toEqual(['c1']);
    // Nothing comes back any more: no pong, no ack.
    await vi.advanceTimersByTimeAsync(DEFAULT_LIVENESS.pingIntervalMs);
    expect(first.sent.filter((f) => f.type === 'ping')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(DEFAULT_LIVENESS.deadlineMs - 1);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(statuses).toContain('offline');
    expect(first.closedWith).toBe(4000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(2);
    last().hello();
    expect(last().sends()).toEqual(['c1']);
    ack(last(), 'c1', 1);
    await expect(sent).resolves.toMatchObject({ id: 1 });
  });

  it('a connection that answers its pings stays', async () => {
    client();
    last().hello();
    for (let i = 0; i < 10; i += 1) {
      await vi.advanceTimersByTimeAsync(DEFAULT_LIVENESS.pingIntervalMs);
      last().frame({ type: 'pong' });
    }
    expect(sockets).toHaveLength(1);
  });

  it('a socket that never greets is replaced', async () => {
    client({ connectTimeoutMs: 3_000 });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(sockets[0]?.closedWith).toBe(4000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(2);
  });

  it('an ack that never comes (pings still answered) replaces the connection and resends', async () => {
    const relay = client({ pingIntervalMs: 1_000, ackTimeoutMs: 5_000 });
    last().hello();
    void relay.send('2', 'stuck');
    for (let i = 0; i < 6; i += 1) {
      await vi.advanceTimersByTimeAsync(1_000);
      last().frame({ type: 'pong' });
    }
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sockets).toHaveLength(2);
    last().hello();
    expect(last().sends()).toEqual(['c1']);
  });
});
