import { type Context, Hono } from 'hono';
import type { UpgradeWebSocket as HonoUpgradeWebSocket, WSContext } from 'hono/ws';
import { z } from 'zod';
import {
  CLOSE_CODES,
  type ClientFrame,
  LIVE_CHANNEL_PATH,
  LIVE_PROTOCOL,
  MAX_FRAME_BYTES,
  type ServerFrame,
} from '../../contract/relay.js';
import type { ClosableSocket, LiveSocketRegistry } from '../auth/live-sockets.js';
import type { ChatRelay, RelayConnection } from '../chat/relay.js';
import { DEFAULT_LIVE_CHANNEL, type LiveChannelSettings } from '../config.js';
import { errorResponse } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { createHeartbeat, type PingableSocket } from './live-heartbeat.js';

// biome-ignore lint/suspicious/noExplicitAny: the Node adapter's socket and option types vary.
export type UpgradeWebSocket = HonoUpgradeWebSocket<any, any>;

/** Largest frame the live channel accepts; the ws server enforces it too (maxPayload). */
export { MAX_FRAME_BYTES };

/**
 * Close code for "too slow": the socket's unsent output passed the bound (it does not read what
 * it is sent). Like HTTP 408; the client reconnects and catches up from the history.
 */
export const TOO_SLOW_CLOSE_CODE = CLOSE_CODES.tooSlow;

/** Frames a client may send (contract/relay.ts): pings, and protocol messages for the relay. */
export const clientFrameSchema: z.ZodType<ClientFrame> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }).strict(),
  z
    .object({
      type: z.literal('send'),
      clientMessageId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      to: z.string().regex(/^[1-9][0-9]{0,15}$/),
      // Bounded by the frame limit here; the relay enforces the protocol's 32 768 characters.
      payload: z.string().max(MAX_FRAME_BYTES),
    })
    .strict(),
]);
export type { ClientFrame, ServerFrame };

/** Parses one text frame; every malformed frame gets the same clear answer and changes nothing. */
export function parseClientFrame(data: unknown): ClientFrame | ServerFrame {
  if (typeof data !== 'string') {
    return { type: 'error', code: 'invalid_frame', message: 'Frames must be JSON text' };
  }
  if (Buffer.byteLength(data, 'utf8') > MAX_FRAME_BYTES) {
    return {
      type: 'error',
      code: 'frame_too_large',
      message: `Frames are limited to ${MAX_FRAME_BYTES} bytes`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { type: 'error', code: 'invalid_frame', message: 'Frames must be JSON text' };
  }
  const parsed = clientFrameSchema.safeParse(raw);
  if (!parsed.success) {
    return { type: 'error', code: 'invalid_frame', message: 'Unknown or malformed frame' };
  }
  return parsed.data;
}

/** The `ws` socket under Hono's context: pings, pongs and the buffered amount live there. */
type RawSocket = PingableSocket & { bufferedAmount: number; _socket?: CorkableStream };

/** The TCP socket under a `ws` socket (ws keeps it as `_socket`). */
interface CorkableStream {
  cork(): void;
  uncork(): void;
  writableCorked: number;
}

/**
 * Batched socket writes: the first frame a socket is sent in a tick corks its TCP socket, and
 * every socket corked in the tick is uncorked once the tick's work is done, so the acks and
 * deliveries one group commit sends a socket leave in one write (writev), not one each.
 */
const corked: CorkableStream[] = [];
const uncorkAll = () => {
  for (const stream of corked.splice(0)) stream.uncork();
};
function corkForTick(stream: CorkableStream | undefined) {
  if (!stream || stream.writableCorked > 0) return;
  stream.cork();
  if (corked.push(stream) === 1) process.nextTick(uncorkAll);
}

function send(ws: WSContext, frame: ServerFrame) {
  corkForTick((ws.raw as RawSocket | undefined)?._socket);
  ws.send(JSON.stringify(frame));
}

/**
 * Who may open the live channel: only a full (AAL2) session, checked at the upgrade, from our
 * own origin. Neither the upgrade, frames nor pings count as session activity; one shared sweep
 * re-checks every session holding sockets every `checkIntervalMs` and closes its sockets when it
 * has ended, and sign-out closes them at once through the registry.
 */
export interface LiveChannelAuth {
  /** The full session the upgrade request names (its id hash and user), or undefined. */
  authenticate(c: Context): Promise<{ sessionIdHash: string; userId: number } | undefined>;
  /** True while the session is alive (without extending it). */
  stillAlive(sessionIdHash: string): Promise<boolean>;
  sockets: LiveSocketRegistry;
  checkIntervalMs: number;
  publicOrigin: string;
}

/**
 * GET /api/ws: the live channel. It greets, answers pings and hands sends to the chat relay.
 * One shared heartbeat pings every socket and drops those that stop answering; a socket whose
 * output backs up past `maxBufferedBytes` is closed with 4008 (then terminated if it never
 * reads the close either), so a reader that never reads costs a bounded amount of memory.
 */
export function liveChannelRoutes(deps: {
  upgradeWebSocket: UpgradeWebSocket;
  logger: Logger;
  auth: LiveChannelAuth;
  relay: ChatRelay;
  settings?: LiveChannelSettings;
}) {
  const { auth, relay, logger } = deps;
  const settings = deps.settings ?? DEFAULT_LIVE_CHANNEL;
  const channel: Channel = {
    settings,
    logger,
    auth,
    relay,
    sweep: createSessionSweep(auth),
    heartbeat: createHeartbeat({
      intervalMs: settings.pingIntervalMs,
      onTerminate: (reason) => logger.info('live channel: socket terminated', { reason }),
    }),
  };
  return new Hono<{
    Variables: { liveSession: { sessionIdHash: string; userId: number } };
  }>().get(
    LIVE_CHANNEL_PATH,
    async (c, next) => {
      // Browsers always send Origin on a WebSocket upgrade: refuse other sites' pages.
      if (c.req.header('origin') !== auth.publicOrigin) {
        return errorResponse(c, 403, 'cross_origin');
      }
      const live = await auth.authenticate(c);
      if (!live) return errorResponse(c, 401, 'not_signed_in');
      c.set('liveSession', live);
      return next();
    },
    // The adapter's upgrade keeps what it is given for the socket's whole life (its closures
    // capture it): a small stand-in for the request's context, and one record per socket.
    (c) => {
      const { sessionIdHash, userId } = c.get('liveSession');
      return upgradeKeepingLittle(
        deps.upgradeWebSocket,
        c,
        new LiveSocket(channel, userId, sessionIdHash),
      );
    },
  );
}

/** What every socket of one live channel shares. */
interface Channel {
  settings: LiveChannelSettings;
  logger: Logger;
  auth: LiveChannelAuth;
  relay: ChatRelay;
  sweep: ReturnType<typeof createSessionSweep>;
  heartbeat: ReturnType<typeof createHeartbeat>;
}

/**
 * One open socket: its user and session, its relay connection, its registry entry and the
 * adapter's events in one object (methods on the prototype, no closures per socket), so an idle
 * socket costs little memory (bench/relay.bench.ts, RELAY_BENCH_ONLY=idle).
 */
class LiveSocket implements RelayConnection, ClosableSocket {
  private ws: WSContext | undefined;
  private raw: RawSocket | undefined;
  private tooSlow = false;
  private open = false;

  constructor(
    private readonly channel: Channel,
    readonly userId: number,
    readonly sessionIdHash: string,
  ) {}

  /** Sends a frame unless the socket is being dropped; drops it when its output backs up. */
  send(frame: ServerFrame): void {
    const { ws, raw } = this;
    if (this.tooSlow || !ws) return;
    send(ws, frame);
    if (raw && raw.bufferedAmount > this.channel.settings.maxBufferedBytes) {
      this.tooSlow = true;
      this.channel.logger.warn('live channel: socket too slow, closing', {
        code: TOO_SLOW_CLOSE_CODE,
        bufferedBytes: raw.bufferedAmount,
      });
      ws.close(TOO_SLOW_CLOSE_CODE, 'too slow');
      this.channel.heartbeat.closing(raw);
    }
  }

  close(code?: number, reason?: string): void {
    this.ws?.close(code, reason);
  }

  onOpen(_event: Event, ws: WSContext): void {
    const { auth, relay, sweep, heartbeat } = this.channel;
    this.ws = ws;
    this.raw = ws.raw as RawSocket | undefined;
    if (this.raw) heartbeat.watch(this.raw);
    this.open = true;
    auth.sockets.add(this.sessionIdHash, this);
    relay.connect(this);
    sweep.add(this.sessionIdHash);
    this.send({ type: 'hello', protocol: LIVE_PROTOCOL });
  }

  onClose(): void {
    const { auth, relay, sweep, heartbeat } = this.channel;
    if (this.raw) heartbeat.unwatch(this.raw);
    if (!this.open) return;
    this.open = false;
    sweep.remove(this.sessionIdHash);
    auth.sockets.remove(this.sessionIdHash, this);
    relay.disconnect(this);
  }

  onMessage(event: MessageEvent): void {
    const frame = parseClientFrame(event.data);
    // Application pings (a browser cannot send WebSocket pings) get a pong: the browser's
    // own liveness check.
    if (frame.type === 'ping') this.send({ type: 'pong', ...(frame.id ? { id: frame.id } : {}) });
    else if (frame.type === 'send' && this.open) void this.channel.relay.submit(this, frame);
    else if (frame.type === 'error') this.send(frame);
  }

  onError(error: Event): void {
    this.channel.logger.warn('websocket error', { error });
  }
}

/**
 * Upgrades through the Node adapter (@hono/node-server) handing it a stand-in for the context:
 * the adapter's closures keep the context they get for as long as the socket lives, and the
 * request's own (Hono's context, its Request and Headers, the IncomingMessage, the upgrade's
 * Response) cost kilobytes per idle socket. The stand-in carries what the adapter reads: the
 * upgrade header, the URL, and the server's env, whose entries it needs only while the upgrade
 * is under way (the symbols it keys its hand-over by are copied back to the real env, which the
 * adapter's upgrade listener reads; the IncomingMessage is dropped once it has been handed over,
 * synchronously).
 */
function upgradeKeepingLittle(
  upgradeWebSocket: UpgradeWebSocket,
  c: Context,
  socket: LiveSocket,
): Promise<Response> {
  const env = (c.env ?? {}) as Record<string | symbol, unknown>;
  const slimEnv: Record<string | symbol, unknown> = { incoming: env.incoming };
  for (const key of Object.getOwnPropertySymbols(env)) slimEnv[key] = env[key];
  const upgrade = c.req.header('upgrade');
  const url = c.req.url;
  const slim = {
    env: slimEnv,
    req: {
      url,
      header: (name: string) => (name.toLowerCase() === 'upgrade' ? upgrade : undefined),
    },
  } as unknown as Context;
  const response = upgradeWebSocket(slim, socket);
  for (const key of Object.getOwnPropertySymbols(slimEnv)) env[key] = slimEnv[key];
  slimEnv.incoming = undefined;
  return response;
}

/**
 * One shared sweep of the sessions that hold open sockets: every `checkIntervalMs` each such
 * session is checked once (not once per socket), and one that has ended (idle, expired) has its
 * sockets closed. Sign-out and other revocations close them at once through the registry; the
 * sweep catches the ends nobody announces. A sweep still running when the next is due is not
 * doubled.
 */
function createSessionSweep(auth: LiveChannelAuth) {
  const sessions = new Map<string, number>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      for (const idHash of [...sessions.keys()]) {
        if (!sessions.has(idHash)) continue;
        if (!(await auth.stillAlive(idHash).catch(() => true))) {
          auth.sockets.closeSessions([idHash], 'session ended');
        }
      }
    } finally {
      running = false;
    }
  };
  return {
    add(idHash: string) {
      sessions.set(idHash, (sessions.get(idHash) ?? 0) + 1);
      if (!timer) {
        timer = setInterval(() => void sweep(), auth.checkIntervalMs);
        timer.unref?.();
      }
    },
    remove(idHash: string) {
      const left = (sessions.get(idHash) ?? 1) - 1;
      if (left > 0) sessions.set(idHash, left);
      else sessions.delete(idHash);
      if (sessions.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
}
