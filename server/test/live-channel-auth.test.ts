import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiClient, signIn, signInPassword, signUp } from '../../test/support/api-client.js';
import { type RunningApp, startAppServer } from '../../test/support/app-server.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { MAX_SOCKETS_PER_SESSION, TOO_MANY_SOCKETS_CLOSE_CODE } from '../auth/live-sockets.js';
import { SESSION_COOKIE } from '../http/session-cookie.js';

let server: RunningApp;
const clock = new FakeClock(new Date());
const PASSWORD = 'juniper trombone glacier';
let n = 0;

beforeAll(async () => {
  server = await startAppServer({ clock });
});
afterAll(async () => {
  await server?.stop();
});

async function signedIn() {
  n += 1;
  const client = new ApiClient(server.app, server.url);
  const name = `ws${n}`;
  const { key, codes } = await signUp(client, server.captcha, name, PASSWORD);
  return { client, name, key, codes };
}

function connect(cookie: string | undefined, origin = server.url) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`, {
    headers: { origin, ...(cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}) },
  });
  const frames: string[] = [];
  socket.on('message', (data) => frames.push(String(data)));
  const opened = new Promise<number>((resolve) => {
    socket.once('open', () => resolve(101));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', () => resolve(-1));
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return { socket, frames, opened, closed };
}

describe('§4.2.3 the live channel and the session', () => {
  it('only a full (AAL2) session from our origin may open it', async () => {
    expect(await connect(undefined).opened).toBe(401);
    const { client, name, codes } = await signedIn();
    expect(await connect(client.cookie, 'https://evil.example').opened).toBe(403);
    const ok = connect(client.cookie);
    expect(await ok.opened).toBe(101);
    await expect.poll(() => ok.frames[0]).toContain('hello');
    ok.socket.close();
    // A recovery-code session (may only bind a key) may not.
    const other = new ApiClient(server.app, server.url);
    const { attempt, response } = await signInPassword(other, server.captcha, name, PASSWORD);
    const code = codes.find((c) => c.number === response.body.recoveryCodeNumber)?.code;
    expect((await other.post('/api/signin/recovery-code', { attempt, code })).body.kind).toBe(
      'rebind',
    );
    expect(await connect(other.cookie).opened).toBe(401);
  });

  it('one session holds at most MAX_SOCKETS_PER_SESSION sockets: a new one closes the oldest', async () => {
    const { client } = await signedIn();
    // One after the other: opened together, the server registers them in the order their
    // upgrades finish (each looks its session up), which need not be the order they were opened.
    const sockets: ReturnType<typeof connect>[] = [];
    for (let i = 0; i < MAX_SOCKETS_PER_SESSION; i += 1) {
      const socket = connect(client.cookie);
      expect(await socket.opened).toBe(101);
      sockets.push(socket);
    }
    await expect.poll(() => sockets.every((s) => s.frames[0]?.includes('hello'))).toBe(true);
    const newest = connect(client.cookie);
    expect(await sockets[0]?.closed).toBe(TOO_MANY_SOCKETS_CLOSE_CODE);
    await expect.poll(() => newest.frames[0]).toContain('hello');
    expect(newest.socket.readyState).toBe(WebSocket.OPEN);
    expect(sockets.slice(1).every((s) => s.socket.readyState === WebSocket.OPEN)).toBe(true);
    for (const s of [...sockets, newest]) s.socket.close();
  });

  it('closes when the session is signed out, everywhere too', async () => {
    const { client, name, key } = await signedIn();
    const live = connect(client.cookie);
    expect(await live.opened).toBe(101);
    await client.post('/api/session/logout');
    expect(await live.closed).toBe(4401);
    const a = new ApiClient(server.app, server.url);
    const b = new ApiClient(server.app, server.url);
    await signIn(a, server.captcha, name, PASSWORD, key);
    await signIn(b, server.captcha, name, PASSWORD, key);
    const socketB = connect(b.cookie);
    expect(await socketB.opened).toBe(101);
    await a.post('/api/session/logout-everywhere');
    expect(await socketB.closed).toBe(4401);
  });

  it('pings never count as activity: the socket closes when the session idles out', async () => {
    const { client } = await signedIn();
    const live = connect(client.cookie);
    expect(await live.opened).toBe(101);
    for (let minute = 0; minute < 30; minute += 5) {
      clock.advance(5 * 60_000);
      live.socket.send(JSON.stringify({ type: 'ping', id: `m${minute}` }));
      live.socket.ping();
    }
    clock.advance(1_000);
    expect(await live.closed).toBe(4401);
    expect((await client.get('/api/session')).status).toBe(401);
  });
});
