/**
 * The live channel's open sockets, by session: when a session ends (sign-out, sign-out
 * everywhere, expiry) its sockets are closed. Pings never count as session activity.
 */
export interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

export interface LiveSocketRegistry {
  /** Registers a socket; false (not registered) when its session already has the most allowed. */
  add(sessionIdHash: string, socket: ClosableSocket): boolean;
  remove(sessionIdHash: string, socket: ClosableSocket): void;
  /** Closes every socket of these sessions. */
  closeSessions(sessionIdHashes: readonly string[], reason: string): void;
}

/** Close code for "the session ended": 4401, in the application range, like HTTP 401. */
export const SESSION_ENDED_CLOSE_CODE = 4401;

/**
 * Open sockets one session may hold (one per tab): each costs memory and a session check every
 * 30 s, so a signed-in client cannot open them without bound.
 */
export const MAX_SOCKETS_PER_SESSION = 16;
/** Close code for "this session has too many sockets open", like HTTP 429. */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4429;

export function createLiveSocketRegistry(
  maxPerSession = MAX_SOCKETS_PER_SESSION,
): LiveSocketRegistry {
  const bySession = new Map<string, Set<ClosableSocket>>();
  return {
    add(sessionIdHash, socket) {
      const set = bySession.get(sessionIdHash) ?? new Set();
      if (set.size >= maxPerSession) return false;
      set.add(socket);
      bySession.set(sessionIdHash, set);
      return true;
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
