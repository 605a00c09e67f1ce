/**
 * The state sign-in shares across requests of one app instance: dependencies, the relying
 * party, per-IP token buckets and failure counts, and the live channel's sockets. Made by
 * createApp, never a module global, so every in-process test app has its own.
 */

import type { Clock } from '../clock.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { RandomSource } from '../random.js';
import type { AuthDeps } from './auth-deps.js';
import type { AuthSettings } from './auth-settings.js';
import { createFailureMemory, type FailureMemory } from './failure-memory.js';
import {
  createLiveSocketRegistry,
  fanOutClosings,
  type LiveSocketRegistry,
} from './live-sockets.js';
import type { TokenBucketLimiter } from './rate-limit.js';
import { createSlotMemory, type SlotMemory } from './slot-memory.js';
import { type RelyingParty, relyingPartyFor } from './webauthn.js';

export interface AuthRuntime extends AuthDeps {
  db: Db;
  config: Config;
  settings: AuthSettings;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  rp: RelyingParty;
  /** Words a password may not contain besides the username: the service's and site's names. */
  contextWords: string[];
  ipLimiter: TokenBucketLimiter;
  /** Failed factors per client IP since its last success (for the CAPTCHA decision). */
  ipFailures: FailureMemory;
  /** Failures against usernames that do not exist: they meet the same rules as real ones. */
  unknownAccountFailures: FailureMemory;
  /** When the latest reserved try of each unknown username is weighed (the queued delays). */
  unknownAccountSlots: SlotMemory;
  liveSockets: LiveSocketRegistry;
  /** Named token buckets, shared by every instance (server/cluster/). */
  tokenBuckets: Cluster['tokenBuckets'];
  /** Waits without blocking the event loop (the growing delays). */
  sleep(ms: number): Promise<void>;
}

export function createAuthRuntime(deps: {
  config: Config;
  db: Db;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  auth: AuthDeps;
  /** What instances share: nothing for one instance (createLocalCluster). */
  cluster: Cluster;
}): AuthRuntime {
  const { cluster } = deps;
  const { config } = deps;
  const rp = relyingPartyFor(config.publicOrigin);
  const hostLabels = rp.id.split('.').filter((label) => label.length >= 4);
  return {
    ...deps.auth,
    db: deps.db,
    config,
    settings: config.auth,
    clock: deps.clock,
    random: deps.random,
    logger: deps.logger,
    rp,
    contextWords: ['parley', ...new Set(hostLabels)],
    ipLimiter: cluster.tokenBuckets('auth-ip', config.auth.ipBucket),
    ipFailures: createFailureMemory(),
    unknownAccountFailures: createFailureMemory(),
    unknownAccountSlots: createSlotMemory(),
    liveSockets: fanOutClosings(createLiveSocketRegistry(), cluster.bus),
    tokenBuckets: cluster.tokenBuckets,
    sleep: (ms) =>
      ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
