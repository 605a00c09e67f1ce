/**
 * The live channel's open sockets, by session: when a session ends (sign-out, sign-out
 * everywhere, expiry) its sockets are closed. Pings never count as session activity.
 */
export interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

export interface LiveSocketRegistry {
  add(sessionIdHash: string, socket: ClosableSocket): void;
  remove(sessionIdHash: string, socket: ClosableSocket): void;
  /** Closes every socket of these sessions. */
  closeSessions(sessionIdHashes: readonly string[], reason: string): void;
}

/** Close code for "the session ended": 4401, in the application range, like HTTP 401. */
export const SESSION_ENDED_CLOSE_CODE = 4401;

export function createLiveSocketRegistry(): LiveSocketRegistry {
  const bySession = new Map<string, Set<ClosableSocket>>();
  return {
    add(sessionIdHash, socket) {
      const set = bySession.get(sessionIdHash) ?? new Set();
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
