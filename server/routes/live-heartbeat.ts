/**
 * Liveness of the live channel's sockets, the `ws` library's documented pattern: one shared
 * interval pings every socket and terminates each one that has not answered the previous ping
 * with a pong, so a connection that silently stopped carrying packets (half-open: no FIN, no
 * RST) is dropped within two intervals. Pings also keep proxies (nginx closes idle sockets after
 * 60 s) from dropping the channel; they are not user activity and never extend a session.
 */

/** What the heartbeat needs of a socket (the `ws` WebSocket has all of it). */
export interface PingableSocket {
  ping(): void;
  terminate(): void;
  on(event: 'pong', listener: () => void): unknown;
}

export interface Heartbeat {
  /** Starts watching an open socket; it counts as alive until the next tick. */
  watch(socket: PingableSocket): void;
  /** Stops watching a socket (it closed). */
  unwatch(socket: PingableSocket): void;
  /**
   * The socket is being closed (e.g. too slow): if it is still open after one to two
   * intervals (its peer never read the close frame), terminate it.
   */
  closing(socket: PingableSocket): void;
  /** Sockets watched now. */
  readonly size: number;
}

type State = 'answered' | 'waiting' | 'closing' | 'closing-last';

export function createHeartbeat(options: {
  intervalMs: number;
  /** Told about each socket the heartbeat terminates. */
  onTerminate?: (reason: 'no_pong' | 'close_timeout') => void;
}): Heartbeat {
  const sockets = new Map<PingableSocket, State>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const tick = () => {
    for (const [socket, state] of sockets) {
      if (state === 'closing') {
        sockets.set(socket, 'closing-last');
        continue;
      }
      if (state !== 'answered') {
        sockets.delete(socket);
        socket.terminate();
        options.onTerminate?.(state === 'closing-last' ? 'close_timeout' : 'no_pong');
        continue;
      }
      sockets.set(socket, 'waiting');
      try {
        socket.ping();
      } catch {
        // Closed meanwhile: its close event unwatches it.
      }
    }
    if (sockets.size === 0) stop();
  };

  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  return {
    watch(socket) {
      sockets.set(socket, 'answered');
      socket.on('pong', () => {
        if (sockets.get(socket) === 'waiting') sockets.set(socket, 'answered');
      });
      if (!timer) {
        timer = setInterval(tick, options.intervalMs);
        timer.unref?.();
      }
    },
    unwatch(socket) {
      sockets.delete(socket);
      if (sockets.size === 0) stop();
    },
    closing(socket) {
      if (sockets.has(socket)) sockets.set(socket, 'closing');
    },
    get size() {
      return sockets.size;
    },
  };
}
