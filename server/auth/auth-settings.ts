/**
 * The tunable numbers of sign-in and sessions, with NIST SP 800-63B's values as defaults.
 * Production takes the defaults (only CAPTCHA test mode comes from the environment); tests
 * override them in their Config, e.g. small scrypt parameters so a test signs in quickly.
 */
import { PRODUCTION_SCRYPT, type ScryptParams } from './password-hash.js';

export interface AuthSettings {
  /** §4.2.3: a session ends after this long without a user-initiated request. */
  sessionIdleMs: number;
  /** §4.2.3: a session ends this long after its last authentication, whatever the activity. */
  sessionAbsoluteMs: number;
  /** A pending sign-up, sign-in or unlock expires this long after it began. */
  attemptTtlMs: number;
  /** A WebAuthn challenge is good for this long, and once. */
  challengeTtlMs: number;
  /** A CAPTCHA image is good for this long, and once. */
  captchaTtlMs: number;
  /** §6.1.2.1: binding a key or issuing codes needs an authentication at most this old. */
  recentAuthMs: number;
  /** Removing a key or the authenticator app needs an authentication at most this old. */
  removeFactorAuthMs: number;
  /** Tests against a running server: CAPTCHA answers are predictable. Never in production. */
  captchaTestMode: boolean;
  /** scrypt parameters of password records. */
  passwordHashParams: ScryptParams;
  /**
   * scrypt parameters of recovery-code records: the codes carry 80 random bits, so an offline
   * search is infeasible already; a lighter cost keeps issuing ten of them quick.
   */
  recoveryCodeHashParams: ScryptParams;
  /** How often an open live-channel socket checks that its session is still alive. */
  liveSessionCheckMs: number;
  /** Per-IP token bucket on every auth endpoint. */
  ipBucket: { capacity: number; refillPerSecond: number };
  /**
   * Multiplies the growing per-account delays of rate-limit.ts (1 in production; tests shrink
   * it). The lockout after 100 failures always applies.
   */
  failureDelayScale: number;
  /**
   * Accept passkeys that may be synced (WebAuthn backup eligible: iCloud Keychain, Google
   * Password Manager, password managers). Off by default: §5.1.7.1 wants keys that cannot leave
   * the device; NIST's supplement on syncable authenticators allows synced ones at AAL2 under
   * conditions the operator must judge (docs/security.md). SYNCED_PASSKEYS=allow turns it on.
   */
  syncedPasskeys: boolean;
}

/** The fixed answer of every CAPTCHA in test mode (documented in docs/security.md). */
export const CAPTCHA_TEST_MODE_ANSWER = 'TEST42';

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  sessionIdleMs: 30 * 60_000,
  sessionAbsoluteMs: 12 * 60 * 60_000,
  attemptTtlMs: 10 * 60_000,
  challengeTtlMs: 2 * 60_000,
  captchaTtlMs: 5 * 60_000,
  recentAuthMs: 15 * 60_000,
  removeFactorAuthMs: 5 * 60_000,
  captchaTestMode: false,
  passwordHashParams: PRODUCTION_SCRYPT,
  recoveryCodeHashParams: { N: 2 ** 14, r: 8, p: 1, keyLength: 32 },
  liveSessionCheckMs: 30_000,
  ipBucket: { capacity: 30, refillPerSecond: 0.5 },
  failureDelayScale: 1,
  syncedPasskeys: false,
};
