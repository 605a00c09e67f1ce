/**
 * How the app is served: the Node HTTP server with the live channel's WebSocket server on it
 * (frames bounded by MAX_FRAME_BYTES at the socket, before any parsing). main.ts, the in-process
 * test servers (test/support/app-server.ts, live-app.ts) and the relay bench all serve through
 * serveApp, so what the tests run is what production runs. The app's own heartbeat and socket
 * rules live in routes/live-channel.ts; this module only listens and stops.
 */
import type { AddressInfo } from 'node:net';
import { serve, upgradeWebSocket } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from './routes/live-channel.js';

/** The upgrade helper the app's live channel needs (AppDeps.upgradeWebSocket) for serveApp. */
export { upgradeWebSocket };

type FetchCallback = Parameters<typeof serve>[0]['fetch'];

export interface ServedApp {
  /** The port it listens on: the one asked for, or the free one chosen for port 0. */
  port: number;
  /** The address it listens on, as the system reports it. */
  address: string;
  /** How many live-channel sockets are open. */
  socketCount(): number;
  /**
   * Stops listening and resolves once the server has closed. Open sockets are told the server
   * is going away (1001), or with `terminate`, dropped at once as a crash would.
   */
  close(options?: { terminate?: boolean }): Promise<void>;
}

export function serveApp(options: {
  /** The app's fetch; a function so a test can build the app once it knows its port. */
  fetch: FetchCallback;
  port: number;
  hostname: string;
}): Promise<ServedApp> {
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: options.fetch,
        port: options.port,
        hostname: options.hostname,
        websocket: { server: webSockets },
      },
      () => {
        server.off('error', reject);
        const { port, address } = server.address() as AddressInfo;
        resolve({
          port,
          address,
          socketCount: () => webSockets.clients.size,
          close: ({ terminate = false } = {}) =>
            new Promise<void>((closed) => {
              for (const client of webSockets.clients) {
                if (terminate) client.terminate();
                else client.close(1001, 'server shutting down');
              }
              server.close(() => closed());
            }),
        });
      },
    );
    server.once('error', reject);
  });
}
