/**
 * The load client of bench/relay.bench.ts: WebSocket clients that speak the live channel's
 * frames (hello, send, ack, message, error) to any of the bench's relays. Every payload is a
 * valid protocol `msg` envelope with 200 bytes of "ciphertext" (the frame is about 480 bytes);
 * its xid carries a sequence number, so the recipient can tell which send a delivery answers.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** How to open one user's socket on one relay. */
export interface Endpoint {
  url: string;
  headers: Record<string, string>;
  userId: string;
}

export interface Pair {
  sender: Endpoint;
  recipient: Endpoint;
}

const CIPHERTEXT_BYTES = 200;
const b64 = (bytes: Buffer) => bytes.toString('base64url');

/** A valid `msg` envelope from → to whose xid encodes `sequence`. */
export function msgPayload(from: string, to: string, sequence: number): string {
  const xid = Buffer.alloc(16);
  xid.writeDoubleBE(sequence, 0);
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(sequence % 0xffff_ffff, 8);
  return JSON.stringify({
    v: 1,
    type: 'msg',
    from,
    to,
    xid: b64(xid),
    salt: 1,
    iv: b64(iv),
    ct: b64(Buffer.alloc(CIPHERTEXT_BYTES, 0x5a)),
    tag: b64(Buffer.alloc(16, 1)),
    mac: b64(Buffer.alloc(32, 2)),
  });
}

function sequenceOf(payload: string): number {
  const at = payload.indexOf('"xid":"') + 7;
  return Buffer.from(payload.slice(at, at + 22), 'base64url').readDoubleBE(0);
}

interface Frame {
  type: string;
  clientMessageId?: string;
  code?: string;
  payload?: string;
}

/** Opens a socket and resolves once the relay said hello; rejects after `timeoutMs`. */
export function open(endpoint: Endpoint, onFrame?: (frame: Frame) => void, timeoutMs = 30_000) {
  return new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(endpoint.url, {
      headers: endpoint.headers,
      perMessageDeflate: false,
    });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no hello from ${endpoint.url} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === 'hello') {
        clearTimeout(timer);
        resolve(socket);
      } else onFrame?.(frame);
    });
  });
}

/** Opens many sockets, at most `parallel` handshakes at once. */
export async function openMany(endpoints: Endpoint[], parallel = 64): Promise<WebSocket[]> {
  const sockets: WebSocket[] = new Array(endpoints.length);
  let next = 0;
  const worker = async () => {
    while (next < endpoints.length) {
      const index = next;
      next += 1;
      sockets[index] = await open(endpoints[index] as Endpoint);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return sockets;
}

export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.close();
          setTimeout(() => {
            socket.terminate();
            resolve();
          }, 2_000).unref();
        }),
    ),
  );
}

let runCounter = 0;

/**
 * Closed loop: every sender keeps `inFlight` sends waiting for their acks; counts the acks and
 * deliveries in `durationMs` after a warm-up. Returns acknowledged messages per second.
 */
export async function throughput(
  pairs: Pair[],
  options: { inFlight: number; durationMs: number; warmupMs: number },
): Promise<{ perSecond: number; delivered: number; errors: number }> {
  runCounter += 1;
  const run = `t${runCounter}`;
  let counting = false;
  let stopped = false;
  let acked = 0;
  let delivered = 0;
  let errors = 0;
  let outstanding = 0;
  const recipients = await Promise.all(
    pairs.map((pair) =>
      open(pair.recipient, (frame) => {
        if (frame.type === 'message' && counting) delivered += 1;
      }),
    ),
  );
  const senders: WebSocket[] = [];
  let sequence = 0;
  const sendOne = (socket: WebSocket, pair: Pair) => {
    sequence += 1;
    outstanding += 1;
    socket.send(
      JSON.stringify({
        type: 'send',
        clientMessageId: `${run}-${sequence}`,
        to: pair.recipient.userId,
        payload: msgPayload(pair.sender.userId, pair.recipient.userId, sequence),
      }),
    );
  };
  for (const pair of pairs) {
    const socket: WebSocket = await open(pair.sender, (frame) => {
      if (frame.type !== 'ack' && frame.type !== 'error') return;
      outstanding -= 1;
      if (frame.type === 'ack' && counting) acked += 1;
      if (frame.type === 'error') errors += 1;
      if (!stopped) sendOne(socket, pair);
    });
    senders.push(socket);
  }
  senders.forEach((socket, index) => {
    for (let i = 0; i < options.inFlight; i += 1) sendOne(socket, pairs[index] as Pair);
  });
  await sleep(options.warmupMs);
  counting = true;
  const start = performance.now();
  await sleep(options.durationMs);
  counting = false;
  const seconds = (performance.now() - start) / 1000;
  stopped = true;
  await until(() => outstanding <= 0, 15_000);
  await closeAll([...senders, ...recipients]);
  return { perSecond: acked / seconds, delivered, errors };
}

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  deliveredPerSecond: number;
  sent: number;
  refused: number;
  /** Sends neither acknowledged nor refused within the drain time. */
  unanswered: number;
}

/**
 * Open loop: sends at `ratePerSecond` in total, spread over the pairs, for `durationMs`, whatever
 * the relay answers; latency is send → delivery at the recipient. Waits for the stragglers.
 */
export function startLoad(pairs: Pair[], ratePerSecond: number) {
  runCounter += 1;
  const run = `l${runCounter}`;
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let refused = 0;
  let answered = 0;
  let sequence = 0;
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let start = 0;
  let end = 0;
  const sockets: WebSocket[] = [];

  const ready = (async () => {
    for (const pair of pairs) {
      sockets.push(
        await open(pair.recipient, (frame) => {
          if (frame.type !== 'message' || !frame.payload) return;
          const sequenceNumber = sequenceOf(frame.payload);
          const t0 = sentAt.get(sequenceNumber);
          if (t0 === undefined) return;
          sentAt.delete(sequenceNumber);
          latencies.push(performance.now() - t0);
        }),
      );
    }
    const senders: WebSocket[] = [];
    for (const pair of pairs) {
      const socket = await open(pair.sender, (frame) => {
        if (frame.type === 'ack') answered += 1;
        if (frame.type === 'error') {
          answered += 1;
          refused += 1;
        }
      });
      senders.push(socket);
      sockets.push(socket);
    }
    start = performance.now();
    timer = setInterval(() => {
      if (stopped) return;
      const due = Math.floor(((performance.now() - start) * ratePerSecond) / 1000);
      while (sequence < due) {
        const index = sequence % pairs.length;
        const pair = pairs[index] as Pair;
        sequence += 1;
        sentAt.set(sequence, performance.now());
        (senders[index] as WebSocket).send(
          JSON.stringify({
            type: 'send',
            clientMessageId: `${run}-${sequence}`,
            to: pair.recipient.userId,
            payload: msgPayload(pair.sender.userId, pair.recipient.userId, sequence),
          }),
        );
      }
    }, 1);
  })();

  return {
    ready,
    async stop(): Promise<LatencyResult> {
      await ready;
      stopped = true;
      end = performance.now();
      if (timer) clearInterval(timer);
      await until(() => answered >= sequence && sentAt.size <= refused, 15_000);
      await closeAll(sockets);
      latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
      return {
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: latencies[latencies.length - 1] ?? Number.NaN,
        deliveredPerSecond: (latencies.length * 1000) / (end - start),
        sent: sequence,
        refused,
        unanswered: Math.max(0, sequence - answered),
      };
    },
  };
}

export async function latency(
  pairs: Pair[],
  ratePerSecond: number,
  durationMs: number,
): Promise<LatencyResult> {
  const load = startLoad(pairs, ratePerSecond);
  await load.ready;
  await sleep(durationMs);
  return load.stop();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, checking every 20 ms, for at most `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}
