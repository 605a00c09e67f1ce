import { createServer } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_FRAME_BYTES } from './routes/live-channel.js';
import { type ServedApp, serveApp, upgradeWebSocket } from './serve.js';

/** A WebSocket route that echoes text, served as main.ts serves the app. */
function echoApp() {
  return new Hono().get(
    '/ws',
    upgradeWebSocket(() => ({
      onMessage: (event, ws) => ws.send(String(event.data)),
    })),
  );
}

function open(served: ServedApp) {
  const socket = new WebSocket(`ws://127.0.0.1:${served.port}/ws`);
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(String(data)));
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, messages, opened, closed };
}

let served: ServedApp | undefined;
afterEach(async () => {
  await served?.close({ terminate: true });
  served = undefined;
});

describe('serveApp', () => {
  it('serves HTTP and the WebSocket upgrade on the port it reports', async () => {
    const app = echoApp().get('/ping', (c) => c.text('pong'));
    served = await serveApp({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    expect(served.port).toBeGreaterThan(0);
    expect(served.address).toBe('127.0.0.1');
    const response = await fetch(`http://127.0.0.1:${served.port}/ping`);
    expect(await response.text()).toBe('pong');
    const client = open(served);
    await client.opened;
    expect(served.socketCount()).toBe(1);
    client.socket.send('hello');
    await expect.poll(() => client.messages).toEqual(['hello']);
  });

  it('closes a socket whose frame is over MAX_FRAME_BYTES (1009), before the app sees it', async () => {
    served = await serveApp({ fetch: echoApp().fetch, port: 0, hostname: '127.0.0.1' });
    const client = open(served);
    await client.opened;
    client.socket.send('x'.repeat(MAX_FRAME_BYTES));
    await expect.poll(() => client.messages).toHaveLength(1);
    client.socket.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect(await client.closed).toBe(1009);
    expect(client.messages).toHaveLength(1);
  });

  it('close() tells open sockets the server is going away (1001) and stops listening', async () => {
    served = await serveApp({ fetch: echoApp().fetch, port: 0, hostname: '127.0.0.1' });
    const { port } = served;
    const client = open(served);
    await client.opened;
    const stopping = served.close();
    expect(await client.closed).toBe(1001);
    await stopping;
    served = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/ws`)).rejects.toThrow();
  });

  it('close({ terminate: true }) drops sockets at once, with no close frame (1006)', async () => {
    served = await serveApp({ fetch: echoApp().fetch, port: 0, hostname: '127.0.0.1' });
    const client = open(served);
    await client.opened;
    await served.close({ terminate: true });
    served = undefined;
    expect(await client.closed).toBe(1006);
  });

  it('rejects when the port is taken, rather than failing later', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(
        serveApp({ fetch: echoApp().fetch, port, hostname: '127.0.0.1' }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });
});
