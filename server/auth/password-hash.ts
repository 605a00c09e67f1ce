/**
 * Password records (NIST SP 800-63B §5.1.1.2): scrypt — memory-hard, run off the event loop (in
 * low-priority worker threads in production, scrypt-workers.ts; node:crypto's on the libuv
 * threadpool by default) — over the NFKC password with a 16-byte random salt, then HMAC-SHA-256 keyed with the pepper (a secret held outside the database). The record
 * names algorithm, version, parameters, salt and hash, so parameters can be raised later:
 *
 *   $scrypt-hmac-sha256$v=1$N=131072,r=8,p=1,l=32$<salt, base64>$<hash, base64>
 *
 * (base64 without padding; l is scrypt's output length, the hash is always the 32-byte HMAC.)
 */
import { createHmac, scrypt, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../random.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  /** Length of the scrypt output in bytes (the HMAC output is always 32 bytes). */
  keyLength: number;
  /** node:crypto's memory ceiling; defaults to twice what the parameters need. */
  maxmem?: number;
}

/**
 * OWASP's scrypt recommendation (Password Storage Cheat Sheet): N=2^17, r=8, p=1 — 128 MiB and
 * about 0.3 s of one core per hash on the development machine (bench/password-hash.bench.ts).
 */
export const PRODUCTION_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1, keyLength: 32 };

export interface PasswordHasher {
  /** A self-describing record string for the normalised password. */
  hash(normalizedPassword: string): Promise<string>;
  /**
   * Whether the password matches the record, and whether the record should be replaced (its
   * parameters are below the current ones) — the caller rehashes after a successful sign-in.
   * Throws PasswordRecordError for a record that is not one of ours (never answers ok).
   */
  verify(
    normalizedPassword: string,
    record: string,
  ): Promise<{ ok: boolean; needsRehash: boolean }>;
  /** Spends the same time as a real verify, for unknown usernames. */
  verifyDummy(normalizedPassword: string): Promise<void>;
}

/** Computes scrypt's output for the normalised password (node:crypto's, or in workers). */
export type ScryptFunction = (
  password: string,
  salt: Uint8Array,
  params: ScryptParams,
) => Promise<Buffer>;

export interface PasswordHasherDeps {
  /** The HMAC key: at least 32 random bytes (server/secrets.ts loadOrCreatePepper). */
  pepper: Uint8Array;
  /** Parameters of new records, and the floor below which a record needs a rehash. */
  params: ScryptParams;
  random: RandomSource;
  /**
   * scrypt computations running at once (default 2); more wait in line. Bounds memory
   * (128 MiB each at production parameters) and leaves libuv threadpool threads (4 by default)
   * for file and DNS work. Ignored when `limiter` is given.
   */
  maxConcurrent?: number;
  /** A limiter shared with other hashers (createHashLimiter): one bound for all hashing. */
  limiter?: HashLimiter;
  /**
   * Where scrypt runs: by default node:crypto's on the libuv threadpool; production hashes in
   * low-priority worker threads (scrypt-workers.ts, wired by create-auth-deps.ts).
   */
  scrypt?: ScryptFunction;
}

/**
 * The bound on password hashing: at most `maxConcurrent` scrypt computations at once (the rest
 * wait in arrival order), and at most `maxRequests` requests that may hash in flight at all. A
 * request past that is refused before it starts (tryAdmit), never halfway: a request that was
 * admitted always finishes its hashes, however many it needs (10 recovery codes at sign-up).
 */
export interface HashLimiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Admits one request that may hash: its release function, or undefined when the line is full. */
  tryAdmit(): (() => void) | undefined;
}

/**
 * One core for hashing on 2, and one fewer than the cores on bigger machines: the event loop
 * (the relay, every other request) always keeps a core of its own.
 */
export function hashConcurrencyFor(cores: number): number {
  return Math.max(1, cores - 1);
}

export function createHashLimiter(options: {
  maxConcurrent: number;
  maxRequests: number;
}): HashLimiter {
  const { maxConcurrent: max, maxRequests } = options;
  if (!Number.isInteger(max) || max < 1) throw new Error('maxConcurrent must be at least 1');
  if (!(maxRequests >= 1)) throw new Error('maxRequests must be at least 1');
  let running = 0;
  let admitted = 0;
  const waiting: Array<() => void> = [];
  return {
    tryAdmit() {
      if (admitted >= maxRequests) return undefined;
      admitted += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        admitted -= 1;
      };
    },
    async run(task) {
      if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
      else running += 1;
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running -= 1;
      }
    },
  };
}

export class PasswordRecordError extends Error {
  override name = 'PasswordRecordError';
}

export const PASSWORD_RECORD_ALGORITHM = 'scrypt-hmac-sha256';
export const PASSWORD_RECORD_VERSION = 1;
export const SALT_BYTES = 16;
const HASH_BYTES = 32;

/** Bounds a record may carry: anything outside is refused rather than computed. */
const MAX_SCRYPT_MEMORY_BYTES = 2 ** 30;
const LIMITS = { N: [2, 2 ** 22], r: [1, 32], p: [1, 16], keyLength: [16, 64] } as const;

export function createPasswordHasher(deps: PasswordHasherDeps): PasswordHasher {
  if (deps.pepper.length < 32) throw new Error('the pepper must be at least 32 bytes');
  checkParams(deps.params);
  const pepper = Buffer.from(deps.pepper);
  const current = deps.params;
  const limiter =
    deps.limiter ??
    createHashLimiter({
      maxConcurrent: deps.maxConcurrent ?? 2,
      maxRequests: Number.POSITIVE_INFINITY,
    });

  const scrypt = deps.scrypt ?? scryptAsync;
  const derive = async (password: string, salt: Uint8Array, params: ScryptParams) => {
    const stretched = await limiter.run(() => scrypt(password.normalize('NFKC'), salt, params));
    return createHmac('sha256', pepper).update(stretched).digest();
  };

  return {
    async hash(normalizedPassword) {
      const salt = deps.random.bytes(SALT_BYTES);
      if (salt.length !== SALT_BYTES) throw new Error('random source gave too few bytes');
      const hash = await derive(normalizedPassword, salt, current);
      return formatRecord(current, salt, hash);
    },

    async verify(normalizedPassword, record) {
      const parsed = parseRecord(record);
      const hash = await derive(normalizedPassword, parsed.salt, parsed.params);
      return {
        ok: timingSafeEqual(hash, parsed.hash),
        needsRehash:
          parsed.params.N < current.N ||
          parsed.params.r < current.r ||
          parsed.params.p < current.p ||
          parsed.params.keyLength < current.keyLength,
      };
    },

    async verifyDummy(normalizedPassword) {
      // The same work as verify at the current parameters, on a throwaway salt.
      const hash = await derive(normalizedPassword, deps.random.bytes(SALT_BYTES), current);
      timingSafeEqual(hash, Buffer.alloc(HASH_BYTES));
    },
  };
}

/** The memory node:crypto's scrypt needs for these parameters (V plus B), in bytes. */
export function scryptMemoryBytes(params: Pick<ScryptParams, 'N' | 'r' | 'p'>): number {
  return 128 * params.r * (params.N + params.p);
}

function scryptAsync(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      salt,
      params.keyLength,
      {
        N: params.N,
        r: params.r,
        p: params.p,
        maxmem: params.maxmem ?? 2 * scryptMemoryBytes(params),
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function formatRecord(params: ScryptParams, salt: Uint8Array, hash: Uint8Array): string {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');
  const { N, r, p, keyLength } = params;
  return `$${PASSWORD_RECORD_ALGORITHM}$v=${PASSWORD_RECORD_VERSION}$N=${N},r=${r},p=${p},l=${keyLength}$${b64(salt)}$${b64(hash)}`;
}

const RECORD =
  /^\$scrypt-hmac-sha256\$v=1\$N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3}),l=(\d{1,3})\$([A-Za-z0-9+/]{22,88})\$([A-Za-z0-9+/]{43})$/;

/** Parses and bounds-checks a record; throws PasswordRecordError for anything else. */
export function parseRecord(record: string): {
  params: ScryptParams;
  salt: Uint8Array;
  hash: Uint8Array;
} {
  const match = RECORD.exec(record);
  if (!match) throw new PasswordRecordError('not a scrypt-hmac-sha256 v1 password record');
  const [, N, r, p, keyLength, salt, hash] = match;
  const params = { N: Number(N), r: Number(r), p: Number(p), keyLength: Number(keyLength) };
  checkParams(params, PasswordRecordError);
  const saltBytes = Buffer.from(salt!, 'base64');
  if (saltBytes.length < SALT_BYTES) throw new PasswordRecordError('salt shorter than 16 bytes');
  return { params, salt: saltBytes, hash: Buffer.from(hash!, 'base64') };
}

function checkParams(params: ScryptParams, ErrorType: new (m: string) => Error = Error): void {
  for (const name of ['N', 'r', 'p', 'keyLength'] as const) {
    const value = params[name];
    const [min, max] = LIMITS[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ErrorType(`scrypt ${name}=${value} is outside ${min}..${max}`);
    }
  }
  if ((params.N & (params.N - 1)) !== 0) {
    throw new ErrorType(`scrypt N=${params.N} is not a power of two`);
  }
  if (scryptMemoryBytes(params) > MAX_SCRYPT_MEMORY_BYTES) {
    throw new ErrorType('scrypt parameters need more than 1 GiB');
  }
}
