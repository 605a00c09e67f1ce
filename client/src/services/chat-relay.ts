/**
 * The chat relay's client: one WebSocket to /api/ws that reconnects with a growing, jittered
 * delay, sends protocol messages with an id of our own, and keeps each one until the server
 * acknowledges it (stored, with its place in the conversation). Sends made while offline wait
 * in order and go out on the next connection; an unacknowledged send is sent again after a
 * reconnect, and the server stores a resend of the same id only once.
 */

export interface RelayAck {
  clientMessageId: string;
  id: number;
  at: string;
}

/** A protocol message the relay delivered (from the peer, or from another tab of ours). */
export interface RelayMessage {
  id: number;
  from: string;
  to: string;
  payload: string;
  at: string;
}

export type RelayStatus = 'connecting' | 'open' | 'offline' | 'signed-out';

/** The server refused a send (malformed, unknown recipient…): resending would not help. */
export class RelayRefusedError extends Error {
  override name = 'RelayRefusedError';
  constructor(
    readonly code: string,
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

export interface RelayClientOptions {
  url: string;
  /** `(url) => new WebSocket(url)` in the browser. */
  openSocket?: (url: string) => WebSocketLike;
  /** A fresh client message id: `crypto.randomUUID()` by default. */
  newId?: () => string;
  /** Reconnect delays: the first, and the most it grows to. */
  backoffMs?: { initial: number; max: number };
  random?: () => number;
}

export interface RelayClient {
  /** Sends `payload` to user `to`; resolves with the server's ack once it is stored. */
  send(to: string, payload: string): Promise<RelayAck>;
  onMessage(listener: (message: RelayMessage) => void): () => void;
  onStatus(listener: (status: RelayStatus) => void): () => void;
  status(): RelayStatus;
  /** Sends still waiting for their ack. */
  pendingCount(): number;
  close(): void;
}

/** The live channel closes with 4401 when the session ended: reconnecting cannot help. */
const SESSION_ENDED = 4401;
const OPEN = 1;

/** At most this many sends are out unacknowledged (the server refuses more than 64). */
const SEND_WINDOW = 32;

interface Pending {
  frame: string;
  /** Sent on the current connection. */
  sent: boolean;
  resolve(ack: RelayAck): void;
  reject(error: Error): void;
}

export function liveChannelUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
}

export function createRelayClient(options: RelayClientOptions): RelayClient {
  const openSocket = options.openSocket ?? ((url: string) => new WebSocket(url));
  const newId = options.newId ?? (() => crypto.randomUUID());
  const backoff = options.backoffMs ?? { initial: 500, max: 15_000 };
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

  const setStatus = (status: RelayStatus) => {
    if (status === current) return;
    current = status;
    for (const listener of statusListeners) listener(status);
  };

  /** Sends what waits, in order, keeping at most SEND_WINDOW unacknowledged on the wire. */
  const flush = () => {
    if (socket?.readyState !== OPEN || current !== 'open') return;
    let inFlight = 0;
    for (const item of pending.values()) {
      if (inFlight >= SEND_WINDOW) break;
      if (!item.sent) {
        socket.send(item.frame);
        item.sent = true;
      }
      inFlight += 1;
    }
  };

  const onFrame = (data: unknown) => {
    if (typeof data !== 'string') return;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    if (frame.type === 'hello') {
      attempt = 0;
      setStatus('open');
      flush();
    } else if (frame.type === 'ack' && typeof frame.clientMessageId === 'string') {
      const item = pending.get(frame.clientMessageId);
      pending.delete(frame.clientMessageId);
      item?.resolve(frame as unknown as RelayAck);
      flush();
    } else if (frame.type === 'message' && typeof frame.payload === 'string') {
      for (const listener of messageListeners) listener(frame as unknown as RelayMessage);
    } else if (frame.type === 'error' && typeof frame.clientMessageId === 'string') {
      const item = pending.get(frame.clientMessageId);
      pending.delete(frame.clientMessageId);
      // A send refused because the session ended: the socket closes with 4401 next.
      item?.reject(new RelayRefusedError(String(frame.code), String(frame.message)));
      flush();
    }
  };

  const connect = () => {
    timer = undefined;
    if (closed) return;
    setStatus('connecting');
    const ws = openSocket(options.url);
    socket = ws;
    ws.onmessage = (event) => onFrame(event.data);
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = undefined;
      for (const item of pending.values()) item.sent = false;
      if (closed) return;
      if (event.code === SESSION_ENDED) {
        setStatus('signed-out');
        for (const item of pending.values()) {
          item.reject(new RelayRefusedError('session_ended', 'Your session ended.'));
        }
        pending.clear();
        return;
      }
      setStatus('offline');
      const delay = Math.min(backoff.max, backoff.initial * 2 ** attempt);
      attempt += 1;
      timer = setTimeout(connect, delay / 2 + (random() * delay) / 2);
    };
    ws.onerror = () => {
      // A close event follows; it schedules the reconnect.
    };
  };

  connect();

  return {
    send(to, payload) {
      if (current === 'signed-out' || closed) {
        return Promise.reject(new RelayRefusedError('session_ended', 'Your session ended.'));
      }
      const clientMessageId = newId();
      const frame = JSON.stringify({ type: 'send', clientMessageId, to, payload });
      return new Promise<RelayAck>((resolve, reject) => {
        pending.set(clientMessageId, { frame, sent: false, resolve, reject });
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
      socket?.close(1000, 'page closed');
      socket = undefined;
      for (const item of pending.values()) item.reject(new Error('The chat was closed.'));
      pending.clear();
    },
  };
}
