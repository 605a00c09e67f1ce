/**
 * What the sign-up, sign-in, unlock, session and account flows need, as narrow contexts: each
 * part of sign-in names the state it reads or changes (attempts, sessions, failure counts,
 * passwords, recovery codes, security keys, the authenticator app, CAPTCHAs), and each function
 * takes only the contexts it uses. Made by createAuthContexts for every app (createApp), never
 * module globals, so every in-process test app has its own counts and sockets.
 */

import type { Clock } from '../clock.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { RandomSource } from '../random.js';
import type { AuthDeps } from './auth-deps.js';
import type { AuthSettings } from './auth-settings.js';
import type { BreachCorpus } from './breach-corpus.js';
import type { CaptchaProvider } from './captcha-provider.js';
import { createFailureMemory, type FailureMemory } from './failure-memory.js';
import {
  createLiveSocketRegistry,
  fanOutClosings,
  type LiveSocketRegistry,
} from './live-sockets.js';
import type { PasswordHasher } from './password-hash.js';
import { siteContextWords } from './password-policy.js';
import type { PwnedPasswordsChecker } from './pwned-passwords.js';
import type { SecretSealer } from './secret-sealer.js';
import type { TryStandingStore } from './try-standings.js';
import { type RelyingParty, relyingPartyFor } from './webauthn.js';

/** The database and the clock: a flow's own reads and writes, and the security log. */
export interface AuthStore {
  db: Db;
  clock: Clock;
}

/** The limits every session lives under (§4.2.3). */
export type SessionLimits = Pick<AuthSettings, 'sessionIdleMs' | 'sessionAbsoluteMs'>;

/** Pending attempts: their secret tokens, their expiry, and the housekeeping when one begins. */
export interface AttemptContext extends AuthStore {
  random: RandomSource;
  attemptTtlMs: number;
  /** Ended sessions are deleted when an attempt begins, so their limits are needed here. */
  sessionLimits: SessionLimits;
}

/** The CAPTCHA pictures of pending sign-ups and sign-ins: made, kept hashed, good for ttlMs. */
export interface CaptchaContext extends AuthStore {
  provider: CaptchaProvider;
  ttlMs: number;
}

/** Sessions: their tokens, their limits, and the live sockets closed when one ends. */
export interface SessionContext extends AuthStore {
  random: RandomSource;
  limits: SessionLimits & Pick<AuthSettings, 'recentAuthMs' | 'removeFactorAuthMs'>;
  liveSockets: LiveSocketRegistry;
}

/**
 * Counting failed factors (§5.2.2): a known account's count in the database, an unknown
 * username's and each client IP's in memory, the growing delays and the wait they impose.
 */
export interface FailureCounts extends AuthStore {
  logger: Logger;
  /** Multiplies the growing per-account delays (1 in production; tests shrink it). */
  delayScale: number;
  /** Failed factors per client IP since its last success (for the CAPTCHA decision). */
  ipFailures: FailureMemory;
  /**
   * Usernames that do not exist: their failures and the slot of their latest reserved try (the
   * queued delays), so they meet the same rules as real ones; shared by every instance
   * (server/cluster/), in memory for one.
   */
  unknownAccounts: TryStandingStore;
  /** Waits without blocking the event loop (the growing delays). */
  sleep(ms: number): Promise<void>;
}

/** Weighing passwords: the hasher, and what the policy checks a new one against (§5.1.1.2). */
export interface PasswordContext {
  hasher: PasswordHasher;
  breachCorpus: BreachCorpus;
  /** The online Have I Been Pwned check, when the operator turned it on. */
  pwnedPasswords?: PwnedPasswordsChecker;
  /** Words a password may not contain besides the username: the service's and site's names. */
  contextWords: string[];
}

/** Recovery codes (§5.1.2): issued from the random source, stored and checked with the hasher. */
export interface RecoveryCodeContext extends AuthStore {
  random: RandomSource;
  hasher: PasswordHasher;
}

/** Security keys (WebAuthn): challenges for the relying party, verified and recorded answers. */
export interface KeyContext extends AuthStore {
  random: RandomSource;
  logger: Logger;
  rp: RelyingParty;
  challengeTtlMs: number;
  /** Whether passkeys that may be synced are accepted (SYNCED_PASSKEYS=allow). */
  syncedPasskeys: boolean;
}

/** The authenticator app (§5.1.4): secrets sealed at rest, shown once under the issuer name. */
export interface TotpContext extends AuthStore {
  random: RandomSource;
  logger: Logger;
  sealer: SecretSealer;
  /** The issuer the app shows beside the account: `Parley (<host>)`. */
  issuer: string;
}

/** Every context of sign-in, as the mounting routes (routes/auth-routes.ts) receive them. */
export interface AuthContexts {
  store: AuthStore;
  logger: Logger;
  attempts: AttemptContext;
  captchas: CaptchaContext;
  sessions: SessionContext;
  failures: FailureCounts;
  passwords: PasswordContext;
  recoveryCodes: RecoveryCodeContext;
  keys: KeyContext;
  totp: TotpContext;
}

export function createAuthContexts(deps: {
  config: Config;
  db: Db;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  auth: AuthDeps;
  /** What instances share: nothing for one instance (createLocalCluster). */
  cluster: Cluster;
}): AuthContexts {
  const { config, db, clock, random, logger, auth, cluster } = deps;
  const settings = config.auth;
  const rp = relyingPartyFor(config.publicOrigin);
  const store: AuthStore = { db, clock };
  const sessionLimits: SessionLimits = {
    sessionIdleMs: settings.sessionIdleMs,
    sessionAbsoluteMs: settings.sessionAbsoluteMs,
  };
  return {
    store,
    logger,
    attempts: { ...store, random, attemptTtlMs: settings.attemptTtlMs, sessionLimits },
    captchas: { ...store, provider: auth.captcha, ttlMs: settings.captchaTtlMs },
    sessions: {
      ...store,
      random,
      limits: {
        ...sessionLimits,
        recentAuthMs: settings.recentAuthMs,
        removeFactorAuthMs: settings.removeFactorAuthMs,
      },
      liveSockets: fanOutClosings(createLiveSocketRegistry(), cluster.bus),
    },
    failures: {
      ...store,
      logger,
      delayScale: settings.failureDelayScale,
      ipFailures: createFailureMemory(),
      unknownAccounts: cluster.tryStandings('unknown-accounts'),
      sleep: (ms) =>
        ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms)),
    },
    passwords: {
      hasher: auth.passwordHasher,
      breachCorpus: auth.breachCorpus,
      ...(auth.pwnedPasswords ? { pwnedPasswords: auth.pwnedPasswords } : {}),
      contextWords: siteContextWords(config.publicOrigin),
    },
    recoveryCodes: { ...store, random, hasher: auth.recoveryCodeHasher },
    keys: {
      ...store,
      random,
      logger,
      rp,
      challengeTtlMs: settings.challengeTtlMs,
      syncedPasskeys: settings.syncedPasskeys,
    },
    totp: { ...store, random, logger, sealer: auth.totpSealer, issuer: `Parley (${rp.id})` },
  };
}
