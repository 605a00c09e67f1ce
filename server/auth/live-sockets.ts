/**
 * The live channel's open sockets, by session: when a session ends (sign-out, sign-out
 * everywhere, expiry) its sockets are closed, on every instance (fanOutClosings). Pings never
 * count as session activity.
 */
import { CLOSE_CODES } from '../../contract/relay.js';
import type { ClusterBus } from '../cluster/cluster.js';

export interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

export interface LiveSocketRegistry {
  /** Registers a socket; past the most one session may hold, its oldest socket is closed. */
  add(sessionIdHash: string, socket: ClosableSocket): void;
  remove(sessionIdHash: string, socket: ClosableSocket): void;
  /** Closes every socket of these sessions. */
  closeSessions(sessionIdHashes: readonly string[], reason: string): void;
}

/** Close code for "the session ended": 4401, in the application range, like HTTP 401. */
export const SESSION_ENDED_CLOSE_CODE = CLOSE_CODES.sessionEnded;

/**
 * Open sockets one session may hold (one per tab): each costs memory and a session check every
 * 30 s, so a signed-in client cannot open them without bound. The oldest gives way to a new one:
 * it is the likeliest to be a dead connection the server has not noticed yet.
 */
export const MAX_SOCKETS_PER_SESSION = 16;
/** Close code for "this session opened too many sockets since", like HTTP 429. */
export const TOO_MANY_SOCKETS_CLOSE_CODE = CLOSE_CODES.tooManySockets;

export function createLiveSocketRegistry(
  maxPerSession = MAX_SOCKETS_PER_SESSION,
): LiveSocketRegistry {
  const bySession = new Map<string, Set<ClosableSocket>>();
  return {
    add(sessionIdHash, socket) {
      const set = bySession.get(sessionIdHash) ?? new Set();
      for (const oldest of set) {
        if (set.size < maxPerSession) break;
        set.delete(oldest);
        oldest.close(TOO_MANY_SOCKETS_CLOSE_CODE, 'too many open sockets');
      }
      set.add(socket);
      bySession.set(sessionIdHash, set);
    },
    remove(sessionIdHash, socket) {
      const set = bySession.get(sessionIdHash);
      set?.delete(socket);
      if (set?.size === 0) bySession.delete(sessionIdHash);
    },
    closeSessions(sessionIdHashes, reason) {
      for (const idHash of sessionIdHashes) {
        const set = bySession.get(idHash);
        if (!set) continue;
        bySession.delete(idHash);
        for (const socket of set) socket.close(SESSION_ENDED_CLOSE_CODE, reason);
      }
    },
  };
}

/**
 * Closing sessions closes their sockets here and tells the other instances to close theirs.
 * While the bus is down, sockets elsewhere close at their instance's next session sweep.
 */
export function fanOutClosings(local: LiveSocketRegistry, bus: ClusterBus): LiveSocketRegistry {
  bus.subscribe((event) => {
    if (event.kind === 'close-sessions') local.closeSessions(event.idHashes, event.reason);
  });
  return {
    add: (sessionIdHash, socket) => local.add(sessionIdHash, socket),
    remove: (sessionIdHash, socket) => local.remove(sessionIdHash, socket),
    closeSessions(sessionIdHashes, reason) {
      local.closeSessions(sessionIdHashes, reason);
      if (sessionIdHashes.length > 0) {
        void bus.publish({ kind: 'close-sessions', idHashes: [...sessionIdHashes], reason });
      }
    },
  };
}
