/**
 * What app instances share. One instance (no REDIS_URL) shares with nobody: the local cluster
 * below keeps everything in this process, as before, with nothing to install. Several instances
 * behind nginx share through Redis (redis-cluster.ts): stored messages to deliver, sessions whose
 * sockets must close, rate-limit buckets, and the try standings of unknown usernames (their
 * failure counts and delay slots, reserved by compare-and-set). (The failure counts of client
 * IPs, which only decide when a CAPTCHA is asked, stay per instance.)
 */
import {
  createTokenBucketLimiter,
  type TokenBucketLimiter,
  type TokenBucketOptions,
} from '../auth/rate-limit.js';
import { createMemoryTryStandings, type TryStandingStore } from '../auth/try-standings.js';
import type { Clock } from '../clock.js';
import type { MessageRow } from '../db/message-store.js';

/** What one instance tells the others. */
export type ClusterEvent =
  /** A stored message, for the sockets of its sender and recipient on the other instances. */
  | { kind: 'deliver'; row: MessageRow }
  /** Sessions that ended: their sockets on the other instances close. */
  | { kind: 'close-sessions'; idHashes: string[]; reason: string };

export interface ClusterBus {
  /**
   * Tells the other instances (never this one: it acts on its own events itself). Resolves once
   * the bus has taken the event, or at once when it cannot (then the others miss it: a recipient
   * there reads the message from history); never rejects.
   */
  publish(event: ClusterEvent): Promise<void>;
  /** Events from the other instances, in the order the bus received them. */
  subscribe(listener: (event: ClusterEvent) => void): void;
}

export interface Cluster {
  bus: ClusterBus;
  /** A named token bucket per key, shared by every instance. */
  tokenBuckets(name: string, options: TokenBucketOptions): TokenBucketLimiter;
  /** Named try standings (unknown usernames' failures and slots), shared by every instance. */
  tryStandings(name: string): TryStandingStore;
  close(): Promise<void>;
}

/** A single instance: nobody to tell, buckets in memory. */
export function createLocalCluster(clock: Clock): Cluster {
  return {
    bus: { publish: async () => {}, subscribe: () => {} },
    tokenBuckets: (_name, options) => createTokenBucketLimiter(options, clock),
    tryStandings: () => createMemoryTryStandings(),
    close: async () => {},
  };
}
