import { join } from 'node:path';
import { z } from 'zod';
import { type AuthSettings, DEFAULT_AUTH_SETTINGS } from './auth/auth-settings.js';
import { isProxyEntry } from './http/client-ip.js';
import type { LogLevel } from './logger.js';

/**
 * Configuration, parsed and validated once at start from the environment. Only the
 * composition root (main.ts) passes process.env here; everything else receives a Config.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  databaseUrl: string;
  /** A file holding the database password (Docker secrets style), merged into databaseUrl. */
  databasePasswordFile: string | undefined;
  /** The exact origin users reach (scheme, host, port): WebAuthn and CSRF checks use it. */
  publicOrigin: string;
  /** Addresses of the reverse proxy whose X-Forwarded-* headers are believed. */
  trustedProxies: string[];
  logFormat: 'json' | 'pretty';
  logLevel: LogLevel;
  clientDir: string;
  migrationsDir: string;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  /**
   * The file holding the password pepper (the HMAC key of password records), kept apart from the
   * database and out of git. Created with 32 random bytes on first start when missing.
   */
  pepperFile: string;
  /**
   * The file holding the key that seals authenticator-app secrets (AES-256-GCM), kept apart from
   * the database like the pepper. Created with 32 random bytes on first start when missing.
   */
  totpKeyFile: string;
  /**
   * The Have I Been Pwned range API (e.g. https://api.pwnedpasswords.com/range), queried with
   * k-anonymity at sign-up; undefined when off (the default). The offline corpus always applies.
   */
  pwnedPasswordsApi: string | undefined;
  /** Session timeouts, expiries, hash costs, rate limits (server/auth/auth-settings.ts). */
  auth: AuthSettings;
  /**
   * Several instances: the Redis they share deliveries, sign-outs and limits through
   * (server/cluster/redis-cluster.ts). Undefined for one instance, which needs no Redis.
   */
  redisUrl: string | undefined;
  /** Namespace of this deployment's Redis keys and channels. */
  redisKeyPrefix: string;
  /** The live channel's liveness and backpressure bounds. */
  liveChannel: LiveChannelSettings;
  /** The longest a query waits for a pooled database connection before it fails (503). */
  databaseAcquireTimeoutMs: number;
}

export interface LiveChannelSettings {
  /**
   * Every socket gets a WebSocket ping this often and is terminated when it has not answered
   * the previous one, so a dead (half-open) connection is dropped within two intervals.
   */
  pingIntervalMs: number;
  /** A socket whose unsent output passes this many bytes is closed (4008, too slow). */
  maxBufferedBytes: number;
}

export const DEFAULT_LIVE_CHANNEL: LiveChannelSettings = {
  pingIntervalMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const mysqlUrl = z
  .string()
  .url()
  .refine((value) => value.startsWith('mysql://'), 'must be a mysql:// URL')
  .refine((value) => /^\/[A-Za-z0-9_]{1,64}$/.test(new URL(value).pathname), {
    message: 'must name a database of letters, digits and underscores',
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: mysqlUrl.default('mysql://root@127.0.0.1:3306/parley'),
  DATABASE_PASSWORD_FILE: z.string().min(1).optional(),
  PUBLIC_ORIGIN: z
    .string()
    .url()
    .refine((value) => new URL(value).origin === value, 'must be an origin: scheme://host[:port]')
    .optional(),
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .refine((items) => items.every(isProxyEntry), 'must be IP addresses or address/prefix ranges'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  CLIENT_DIR: z.string().min(1).optional(),
  MIGRATIONS_DIR: z.string().min(1).optional(),
  PEPPER_FILE: z.string().min(1).optional(),
  TOTP_KEY_FILE: z.string().min(1).optional(),
  SYNCED_PASSKEYS: z.enum(['allow', 'refuse']).default('refuse'),
  PWNED_PASSWORDS_API: z
    .string()
    .default('off')
    .refine(
      (value) => value === 'off' || /^https?:\/\/[^\s]+$/.test(value),
      "must be 'off' or an http(s) URL of the range API",
    )
    .refine((value) => value === 'off' || URL.canParse(value), 'must be a valid URL'),
  LIVE_PING_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(10 * 60_000)
    .default(DEFAULT_LIVE_CHANNEL.pingIntervalMs),
  LIVE_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(256 * 1024 * 1024)
    .default(DEFAULT_LIVE_CHANNEL.maxBufferedBytes),
  DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Predictable CAPTCHA answers for tests against a running server; refused in production. */
  CAPTCHA_TEST_MODE: z.enum(['on', 'off']).default('off'),
  REDIS_URL: z
    .string()
    .url()
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL')
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]{1,64}$/)
    .default('parley:'),
});

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>, root: string): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.CAPTCHA_TEST_MODE === 'on' && e.NODE_ENV === 'production') {
    throw new ConfigError(
      'Invalid configuration:\n  CAPTCHA_TEST_MODE: must be off when NODE_ENV is production',
    );
  }
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePasswordFile: e.DATABASE_PASSWORD_FILE,
    publicOrigin: e.PUBLIC_ORIGIN ?? `http://localhost:${e.PORT}`,
    trustedProxies: e.TRUSTED_PROXIES,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'pretty'),
    logLevel: e.LOG_LEVEL,
    clientDir: e.CLIENT_DIR ?? join(root, 'dist', 'client'),
    migrationsDir: e.MIGRATIONS_DIR ?? join(root, 'db', 'migrations'),
    bodyLimitBytes: 64 * 1024,
    pepperFile: e.PEPPER_FILE ?? join(root, 'secrets', 'pepper'),
    totpKeyFile: e.TOTP_KEY_FILE ?? join(root, 'secrets', 'totp-key'),
    pwnedPasswordsApi: e.PWNED_PASSWORDS_API === 'off' ? undefined : e.PWNED_PASSWORDS_API,
    auth: {
      ...DEFAULT_AUTH_SETTINGS,
      captchaTestMode: e.CAPTCHA_TEST_MODE === 'on',
      syncedPasskeys: e.SYNCED_PASSKEYS === 'allow',
    },
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    liveChannel: {
      pingIntervalMs: e.LIVE_PING_INTERVAL_MS,
      maxBufferedBytes: e.LIVE_MAX_BUFFERED_BYTES,
    },
    databaseAcquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS,
  };
}
