/**
 * A TCP proxy on a loopback port in front of the app, for faults no real network here can be
 * asked for: `stall()` makes the network silently drop everything (no FIN, no RST) on every
 * connection open now or made until `heal()`; those connections stay black holes, as flows
 * through a dead link do. Connections made after `heal()` forward normally.
 */

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  stall(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let stalled = false;
  const pairs = new Set<{ client: Socket; upstream: Socket; dead: boolean }>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, dead: stalled };
    pairs.add(pair);
    client.on('data', (data) => {
      if (!pair.dead) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (!pair.dead) client.write(data);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // A black hole passes no close either.
    client.on('close', () => {
      if (!pair.dead) end();
    });
    upstream.on('close', () => {
      if (!pair.dead) end();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stall() {
      stalled = true;
      for (const pair of pairs) pair.dead = true;
    },
    heal() {
      stalled = false;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
