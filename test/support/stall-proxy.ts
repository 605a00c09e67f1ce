/**
 * A TCP proxy on loopback that can silently stop forwarding in both directions without closing
 * either side: what a half-open connection looks like (packets dropped, no FIN, no RST).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface StallProxy {
  port: number;
  /** Drop everything from now on, both ways, keeping the sockets open. */
  stall(): void;
  /** Forward again. */
  heal(): void;
  /** Resolves when the proxied server closes its side of a connection (its time, ms since epoch). */
  upstreamClosed: Promise<number>;
  close(): Promise<void>;
}

export async function startStallProxy(targetPort: number): Promise<StallProxy> {
  let stalled = false;
  const sockets = new Set<Socket>();
  let onUpstreamClosed: (at: number) => void = () => {};
  const upstreamClosed = new Promise<number>((resolve) => {
    onUpstreamClosed = resolve;
  });
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (data) => {
      if (!stalled) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (!stalled) client.write(data);
    });
    upstream.on('close', () => {
      onUpstreamClosed(Date.now());
      // While stalled the client learns nothing, not even this.
      if (!stalled) client.destroy();
    });
    client.on('close', () => {
      if (!stalled) upstream.destroy();
    });
    for (const s of [client, upstream]) s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    stall: () => {
      stalled = true;
    },
    heal: () => {
      stalled = false;
    },
    upstreamClosed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
