/**
 * The live-channel setup the relay tests share: sign a user up on an in-process app (its
 * session cookie then opens sockets on any instance on the same database), open a socket that
 * collects every frame, and make a well-formed protocol `msg` payload.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { App } from '../../server/app.js';
import { SESSION_COOKIE } from '../../server/http/session-cookie.js';
import { ApiClient, signUp } from './api-client.js';
import type { RecordingCaptchaProvider } from './test-auth.js';

export const TEST_PASSWORD = 'juniper trombone glacier';

export interface TestUser {
  client: ApiClient;
  id: string;
  name: string;
  /** The session cookie's value (not `name=value`). */
  cookie: string;
}

/**
 * Signs `name` up (password, security key, recovery codes) through `on`'s app in-process, as
 * coming from `on.url`; `ip` sets the TCP peer address it appears to come from.
 */
export async function signUpUser(
  on: { app: App; url: string; captcha: RecordingCaptchaProvider },
  name: string,
  options: { ip?: string; password?: string } = {},
): Promise<TestUser> {
  const client = new ApiClient(on.app, on.url);
  if (options.ip) client.ip = options.ip;
  await signUp(client, on.captcha, name, options.password ?? TEST_PASSWORD);
  const me = await client.get('/api/users/me');
  return { client, id: String(me.body.id), name, cookie: client.cookie ?? '' };
}

// biome-ignore lint/suspicious/noExplicitAny: frames are inspected field by field.
export type Frame = any;

export interface LiveConnection {
  socket: WebSocket;
  /** Every frame received, parsed, in order. */
  frames: Frame[];
  /** Resolves when the socket is open; rejects if it fails first. */
  opened: Promise<void>;
  /** Resolves at the first frame (the server's hello). */
  greeted: Promise<void>;
  /** Resolves with the close code. */
  closed: Promise<number>;
  closeCode(): number | undefined;
  of(type: string): Frame[];
  /** Sends a frame: a string as it is, anything else as JSON. */
  send(frame: unknown): void;
}

/**
 * Opens /api/ws at `url` (http(s):// or ws(s):// base of an instance) with the session cookie
 * `cookie` (a value, or none) and `origin` (by default `url` itself).
 */
export function openLiveSocket(options: {
  url: string;
  cookie?: string;
  origin?: string;
}): LiveConnection {
  const base = options.url.replace(/^http/, 'ws');
  const socket = new WebSocket(`${base}/api/ws`, {
    headers: {
      origin: options.origin ?? options.url.replace(/^ws/, 'http'),
      ...(options.cookie !== undefined ? { cookie: `${SESSION_COOKIE}=${options.cookie}` } : {}),
    },
  });
  const frames: Frame[] = [];
  let closeCode: number | undefined;
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  const greeted = new Promise<void>((resolve) => socket.once('message', () => resolve()));
  const closed = new Promise<number>((resolve) =>
    socket.on('close', (code) => {
      closeCode = code;
      resolve(code);
    }),
  );
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // A failure after the open (or one no test waits for) is seen through `closed`.
  opened.catch(() => undefined);
  socket.on('error', () => undefined);
  return {
    socket,
    frames,
    opened,
    greeted,
    closed,
    closeCode: () => closeCode,
    of: (type) => frames.filter((f) => f.type === type),
    send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
  };
}

/** A well-formed protocol `msg` whose IV carries `counter` (random bytes stand for ciphertext). */
export function msgPayload(from: string, to: string, counter = 1, ctBytes = 20): string {
  const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return JSON.stringify({
    v: 1,
    type: 'msg',
    from,
    to,
    xid: b64(16),
    salt: 1,
    iv: iv.toString('base64url'),
    ct: b64(ctBytes),
    tag: b64(16),
    mac: b64(32),
  });
}
