/**
 * The chat relay's client: one WebSocket to /api/ws that reconnects with a growing, jittered
 * delay, sends protocol messages under a client message id, and keeps each one until the server
 * acknowledges it (stored, with its place in the conversation). Sends made while offline wait in
 * order and go out on the next connection; an unacknowledged send is sent again after a
 * reconnect, and the server stores a resend of the same id only once.
 *
 * Failures the user never has to think about: a transient refusal (`relay_failed`,
 * `too_many_pending`, or any code not known to be permanent) is sent again, with the same id, in
 * order (the head first), after a growing delay; a connection that stops answering (no frame
 * within the liveness deadline after a ping, no `hello` after connecting, no ack in time) is
 * dropped and replaced. Only a permanent refusal rejects the send. Frames, refusal codes and
 * close codes are the contract's (contract/relay.ts).
 */
import type { StoredMessage } from '../../../contract/chat.js';
import {
  CLOSE_CODES,
  type ClientFrame,
  isPermanentRefusal,
  LIVE_CHANNEL_PATH,
  type RelayErrorCode,
  type RelayFrame,
  SESSION_ENDED_REFUSAL,
} from '../../../contract/relay.js';

/** The relay's ack of a send: stored as message `id` at `at`. */
export type RelayAck = Omit<Extract<RelayFrame, { type: 'ack' }>, 'type'>;

/** A protocol message the relay delivered (from the peer, or from another tab of ours). */
export type RelayMessage = StoredMessage;

export type RelayStatus = 'connecting' | 'open' | 'offline' | 'signed-out';

/** The server refused a send (malformed, unknown recipient…): resending would not help. */
export class RelayRefusedError extends Error {
  override name = 'RelayRefusedError';
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
}

/** How a connection is judged alive; every field in milliseconds. */
export interface RelayLiveness {
  /** A `ping` goes out this often while the connection is open. */
  pingIntervalMs: number;
  /** After a ping, some frame (the pong, or anything) must arrive within this. */
  deadlineMs: number;
  /** A new socket must have said `hello` within this. */
  connectTimeoutMs: number;
  /** The oldest send on the wire must be acknowledged (or refused) within this. */
  ackTimeoutMs: number;
}

/**
 * Production liveness: a half-open connection (packets silently dropped) is noticed at most
 * pingIntervalMs + deadlineMs = 25 s after it went silent, well inside 45 s; nginx's 60 s idle
 * timeout never fires because a ping crosses every 15 s.
 */
export const DEFAULT_LIVENESS: RelayLiveness = {
  pingIntervalMs: 15_000,
  deadlineMs: 10_000,
  connectTimeoutMs: 15_000,
  ackTimeoutMs: 30_000,
};

export interface RelayClientOptions {
  url: string;
  /** `(url) => new WebSocket(url)` in the browser. */
  openSocket?: (url: string) => WebSocketLike;
  /** A fresh client message id: `crypto.randomUUID()` by default. */
  newId?: () => string;
  /** Reconnect delays: the first, and the most it grows to. */
  backoffMs?: { initial: number; max: number };
  /** Delays before a transiently refused send goes again: the first, and the most. */
  retryMs?: { initial: number; max: number };
  liveness?: Partial<RelayLiveness>;
  random?: () => number;
  now?: () => number;
}

export interface RelayClient {
  /**
   * Sends `payload` to user `to` under `clientMessageId` (a fresh one when absent; pass the
   * same one again after a reload and the server stores it once). Resolves with the server's
   * ack once it is stored; rejects only on a permanent refusal, or when the session ends or
   * the client is closed.
   */
  send(to: string, payload: string, clientMessageId?: string): Promise<RelayAck>;
  onMessage(listener: (message: RelayMessage) => void): () => void;
  onStatus(listener: (status: RelayStatus) => void): () => void;
  status(): RelayStatus;
  /** Sends still waiting for their ack. */
  pendingCount(): number;
  close(): void;
}

const OPEN = 1;

/** At most this many sends are out unacknowledged (half of MAX_PENDING_PER_SOCKET, 64). */
const SEND_WINDOW = 32;

interface Pending {
  frame: string;
  /** Sent on the current connection, not yet answered. */
  sent: boolean;
  /** When it was last written to the socket. */
  sentAt: number;
  resolve(ack: RelayAck): void;
  reject(error: Error): void;
}

export function liveChannelUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_CHANNEL_PATH}`;
}

/** `initial · 2^attempt`, capped at `max`, jittered to between half and all of it. */
function jittered(range: { initial: number; max: number }, attempt: number, random: () => number) {
  const delay = Math.min(range.max, range.initial * 2 ** Math.min(attempt, 30));
  return delay / 2 + (random() * delay) / 2;
}

export function createRelayClient(options: RelayClientOptions): RelayClient {
  const openSocket = options.openSocket ?? ((url: string) => new WebSocket(url));
  const newId = options.newId ?? (() => crypto.randomUUID());
  const backoff = options.backoffMs ?? { initial: 500, max: 15_000 };
  const retryRange = options.retryMs ?? { initial: 500, max: 15_000 };
  const liveness = { ...DEFAULT_LIVENESS, ...options.liveness };
  const now = options.now ?? Date.now;
  // Reconnect jitter needs no secrecy, but Parley keeps one source of randomness: WebCrypto's.
  const random = options.random ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32);
  const pending = new Map<string, Pending>();
  const messageListeners = new Set<(message: RelayMessage) => void>();
  const statusListeners = new Set<(status: RelayStatus) => void>();
  let socket: WebSocketLike | undefined;
  let current: RelayStatus = 'connecting';
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  /** Transient refusals in a row, and the timer that ends the pause they cause. */
  let retries = 0;
  let holdTimer: ReturnType<typeof setTimeout> | undefined;
  /** Liveness: the periodic ping, the deadline after it, the hello deadline. */
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;

  const setStatus = (status: RelayStatus) => {
    if (status === current) return;
    current = status;
    for (const listener of statusListeners) listener(status);
  };

  const stopTimers = () => {
    if (pingTimer) clearInterval(pingTimer);
    if (deadlineTimer) clearTimeout(deadlineTimer);
    if (connectTimer) clearTimeout(connectTimer);
    pingTimer = deadlineTimer = connectTimer = undefined;
  };

  /** Sends what waits, in order, keeping at most SEND_WINDOW unacknowledged on the wire. */
  const flush = () => {
    if (socket?.readyState !== OPEN || current !== 'open' || holdTimer) return;
    let inFlight = 0;
    for (const item of pending.values()) {
      if (inFlight >= SEND_WINDOW) break;
      if (!item.sent) {
        socket.send(item.frame);
        item.sent = true;
        item.sentAt = now();
      }
      inFlight += 1;
    }
  };

  /** The socket is gone (closed, or judged dead): everything unacknowledged goes again later. */
  const lost = (ws: WebSocketLike, code: number | undefined) => {
    if (socket !== ws) return;
    socket = undefined;
    stopTimers();
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    for (const item of pending.values()) item.sent = false;
    if (closed) return;
    // The live channel closes with 4401 when the session ended: reconnecting cannot help.
    if (code === CLOSE_CODES.sessionEnded) {
      setStatus('signed-out');
      for (const item of pending.values()) {
        item.reject(new RelayRefusedError(SESSION_ENDED_REFUSAL, 'Your session ended.'));
      }
      pending.clear();
      return;
    }
    setStatus('offline');
    timer = setTimeout(connect, jittered(backoff, attempt, random));
    attempt += 1;
  };

  /** Drops a socket that stopped answering, without waiting for a close it may never see. */
  const dead = (ws: WebSocketLike) => {
    try {
      ws.close(CLOSE_CODES.noAnswer, 'no answer');
    } catch {
      // Closing a dead socket may throw; it is abandoned either way.
    }
    lost(ws, undefined);
  };

  /** Something arrived: the connection is alive. */
  const heard = () => {
    if (deadlineTimer) clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
  };

  /** Pings, and judges the connection dead when the oldest send waits too long for its ack. */
  const ping = (ws: WebSocketLike) => {
    if (socket !== ws || ws.readyState !== OPEN) return;
    const oldest = [...pending.values()].find((item) => item.sent);
    if (oldest && now() - oldest.sentAt > liveness.ackTimeoutMs) return dead(ws);
    try {
      ws.send(JSON.stringify({ type: 'ping' } satisfies ClientFrame));
    } catch {
      return dead(ws);
    }
    deadlineTimer ??= setTimeout(() => dead(ws), liveness.deadlineMs);
  };

  /** A transient refusal: the same frame goes again, head first, after a growing pause. */
  const holdAndRetry = (item: Pending) => {
    item.sent = false;
    if (holdTimer) return;
    holdTimer = setTimeout(
      () => {
        holdTimer = undefined;
        flush();
      },
      jittered(retryRange, retries, random),
    );
    retries += 1;
  };

  const onFrame = (ws: WebSocketLike, data: unknown) => {
    if (socket !== ws) return;
    heard();
    if (typeof data !== 'string') return;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    if (frame.type === 'hello') {
      attempt = 0;
      if (connectTimer) clearTimeout(connectTimer);
      connectTimer = undefined;
      pingTimer = setInterval(() => ping(ws), liveness.pingIntervalMs);
      setStatus('open');
      flush();
    } else if (frame.type === 'ack' && typeof frame.clientMessageId === 'string') {
      const item = pending.get(frame.clientMessageId);
      pending.delete(frame.clientMessageId);
      retries = 0;
      item?.resolve(frame as unknown as RelayAck);
      flush();
    } else if (frame.type === 'message' && typeof frame.payload === 'string') {
      for (const listener of messageListeners) listener(frame as unknown as RelayMessage);
    } else if (frame.type === 'error' && typeof frame.clientMessageId === 'string') {
      const item = pending.get(frame.clientMessageId);
      if (!item) return;
      const code = frame.code;
      if (!isPermanentRefusal(code)) return holdAndRetry(item);
      pending.delete(frame.clientMessageId);
      // A send refused because the session ended: the socket closes with 4401 next.
      item.reject(new RelayRefusedError(code, String(frame.message)));
      flush();
    }
  };

  const connect = () => {
    timer = undefined;
    if (closed) return;
    setStatus('connecting');
    const ws = openSocket(options.url);
    socket = ws;
    connectTimer = setTimeout(() => dead(ws), liveness.connectTimeoutMs);
    ws.onmessage = (event) => onFrame(ws, event.data);
    ws.onclose = (event) => lost(ws, event.code);
    ws.onerror = () => {
      // A close event follows; it schedules the reconnect.
    };
  };

  connect();

  return {
    send(to, payload, clientMessageId = newId()) {
      if (current === 'signed-out' || closed) {
        return Promise.reject(new RelayRefusedError(SESSION_ENDED_REFUSAL, 'Your session ended.'));
      }
      const frame = JSON.stringify({
        type: 'send',
        clientMessageId,
        to,
        payload,
      } satisfies ClientFrame);
      const waiting = pending.get(clientMessageId);
      if (waiting) {
        // Asked again for one already on its way: both callers get the one ack.
        return new Promise<RelayAck>((resolve, reject) => {
          const { resolve: first, reject: firstReject } = waiting;
          waiting.resolve = (ack) => {
            first(ack);
            resolve(ack);
          };
          waiting.reject = (error) => {
            firstReject(error);
            reject(error);
          };
        });
      }
      return new Promise<RelayAck>((resolve, reject) => {
        pending.set(clientMessageId, { frame, sent: false, sentAt: 0, resolve, reject });
        flush();
      });
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    status: () => current,
    pendingCount: () => pending.size,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (holdTimer) clearTimeout(holdTimer);
      stopTimers();
      const ws = socket;
      socket = undefined;
      if (ws) ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      ws?.close(1000, 'page closed');
      for (const item of pending.values()) item.reject(new Error('The chat was closed.'));
      pending.clear();
    },
  };
}
