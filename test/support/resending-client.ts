/**
 * A live-channel client for fault tests that behaves as the ordering contract asks of a client
 * (docs/architecture.md, "Chat relay"): it keeps every send until its ack, and after a transient
 * refusal (`relay_failed`, `too_many_pending`) or a lost socket it sends the unacknowledged ones
 * again with the same clientMessageId, in their original order, with a growing delay. It
 * pipelines up to `window` sends, so the relay sees later frames waiting behind a failing one.
 */
import WebSocket from 'ws';
import { SESSION_COOKIE } from '../../server/http/session-cookie.js';
import type { Frame } from './live-client.js';

interface Outgoing {
  clientMessageId: string;
  to: string;
  payload: string;
  state: 'unsent' | 'inflight' | 'acked';
  ackId?: number;
}

export const TRANSIENT_CODES = new Set(['relay_failed', 'too_many_pending']);

/** The IV counter of a `msg` payload. */
export function counterOf(payload: string): number {
  return Buffer.from(JSON.parse(payload).iv, 'base64url').readUInt32BE(8);
}

export interface SocketOptions {
  /** ws:// or http:// base of the app (the path /api/ws is added). */
  url: string;
  origin: string;
  cookie: string;
  /** Reconnect after the socket closes (with backoff), until stop(). */
  reconnect?: boolean;
}

/** One socket that reconnects, and collects every frame it receives. */
export class LiveSocket {
  socket: WebSocket | undefined;
  frames: Frame[] = [];
  ready = false;
  closes: number[] = [];
  private stopped = false;
  private failures = 0;
  onReady: () => void = () => {};
  onFrame: (frame: Frame) => void = () => {};
  onClose: () => void = () => {};

  constructor(readonly options: SocketOptions) {
    this.open();
  }

  private open() {
    const base = this.options.url.replace(/^http/, 'ws');
    const socket = new WebSocket(`${base}/api/ws`, {
      headers: { origin: this.options.origin, cookie: `${SESSION_COOKIE}=${this.options.cookie}` },
    });
    this.socket = socket;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data));
      this.frames.push(frame);
      if (frame.type === 'hello') {
        this.ready = true;
        this.failures = 0;
        this.onReady();
      }
      this.onFrame(frame);
    });
    socket.on('error', () => {});
    socket.on('close', (code) => {
      this.closes.push(code);
      this.ready = false;
      this.onClose();
      if (this.stopped || !this.options.reconnect) return;
      this.failures += 1;
      const delay = Math.min(100 * 2 ** Math.min(this.failures, 4), 1_000);
      setTimeout(() => {
        if (!this.stopped) this.open();
      }, delay);
    });
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  send(frame: unknown) {
    this.socket?.send(JSON.stringify(frame));
  }

  stop() {
    this.stopped = true;
    this.socket?.terminate();
  }
}

/** A sender that resends unacknowledged messages in order, as the contract requires. */
export class ResendingSender {
  readonly live: LiveSocket;
  readonly outbox: Outgoing[] = [];
  /** Frames put on the wire (first sends and resends). */
  attempts = 0;
  refusals = new Map<string, number>();
  permanent: Frame[] = [];
  private backoff = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    options: SocketOptions,
    readonly window = 16,
  ) {
    this.live = new LiveSocket({ reconnect: true, ...options });
    this.live.onReady = () => this.pump();
    this.live.onClose = () => {
      for (const m of this.outbox) if (m.state === 'inflight') m.state = 'unsent';
    };
    this.live.onFrame = (frame) => this.handle(frame);
  }

  /** Queues a message; it goes out in order behind the earlier ones. */
  queue(clientMessageId: string, to: string, payload: string) {
    this.outbox.push({ clientMessageId, to, payload, state: 'unsent' });
    this.pump();
  }

  get acked(): Outgoing[] {
    return this.outbox.filter((m) => m.state === 'acked');
  }

  get done(): boolean {
    return this.outbox.every((m) => m.state === 'acked');
  }

  private handle(frame: Frame) {
    const m = this.outbox.find((o) => o.clientMessageId === frame.clientMessageId);
    if (!m) return;
    if (frame.type === 'ack') {
      m.state = 'acked';
      m.ackId = frame.id;
      this.backoff = 0;
      this.pump();
    } else if (frame.type === 'error') {
      this.refusals.set(frame.code, (this.refusals.get(frame.code) ?? 0) + 1);
      if (!TRANSIENT_CODES.has(frame.code)) {
        this.permanent.push(frame);
        m.state = 'acked';
        return;
      }
      if (m.state === 'inflight') m.state = 'unsent';
      this.backoff = Math.min(this.backoff ? this.backoff * 2 : 50, 800);
      this.schedule(this.backoff);
    }
  }

  private schedule(delay: number) {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
  }

  /**
   * Sends unsent messages in order while fewer than `window` are in flight. After a refusal
   * it first waits for every later frame still in flight to be answered (the relay refuses
   * them all), so the resends reach the relay in the original order.
   */
  pump() {
    if (!this.live.ready || this.timer) return;
    const firstUnsent = this.outbox.findIndex((m) => m.state === 'unsent');
    if (firstUnsent < 0) return;
    if (this.outbox.some((m, i) => i > firstUnsent && m.state === 'inflight')) return;
    let inflight = this.outbox.filter((m) => m.state === 'inflight').length;
    for (const m of this.outbox) {
      if (inflight >= this.window) break;
      if (m.state !== 'unsent') continue;
      m.state = 'inflight';
      inflight += 1;
      this.attempts += 1;
      this.live.send({
        type: 'send',
        clientMessageId: m.clientMessageId,
        to: m.to,
        payload: m.payload,
      });
    }
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.live.stop();
  }
}
