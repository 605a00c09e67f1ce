import { createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { scrypt as nobleScrypt } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { systemRandom } from '../random.js';
import {
  createHashLimiter,
  createPasswordHasher,
  hashConcurrencyFor,
  PasswordRecordError,
  PRODUCTION_SCRYPT,
  parseRecord,
  type ScryptParams,
  scryptMemoryBytes,
} from './password-hash.js';

/** Small parameters keep the tests quick; PRODUCTION_SCRYPT is checked on its own below. */
const SMALL: ScryptParams = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };
const pepper = new Uint8Array(32).fill(7);
const hasher = createPasswordHasher({ pepper, params: SMALL, random: systemRandom });

const RECORD_SHAPE =
  /^\$scrypt-hmac-sha256\$v=1\$N=1024,r=8,p=1,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('password records (NIST 800-63B §5.1.1.2: salted, hashed, peppered)', () => {
  it('writes a record naming algorithm, version, parameters, a 16-byte salt and the hash', async () => {
    const record = await hasher.hash('correct horse battery staple');
    expect(record).toMatch(RECORD_SHAPE);
    const parsed = parseRecord(record);
    expect(parsed.salt.length).toBe(16);
    expect(parsed.hash.length).toBe(32);
    expect(parsed.params).toEqual({ N: 1024, r: 8, p: 1, keyLength: 32 });
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const record = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify('correct horse battery staple', record)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect((await hasher.verify('correct horse battery stapler', record)).ok).toBe(false);
    expect((await hasher.verify('Correct horse battery staple', record)).ok).toBe(false);
  });

  it('gives two users with the same password different records (random salt)', async () => {
    const a = await hasher.hash('same password for both');
    const b = await hasher.hash('same password for both');
    expect(a).not.toBe(b);
    expect(parseRecord(a).salt).not.toEqual(parseRecord(b).salt);
    expect((await hasher.verify('same password for both', a)).ok).toBe(true);
    expect((await hasher.verify('same password for both', b)).ok).toBe(true);
  });

  it('fails to verify under a different pepper', async () => {
    const record = await hasher.hash('correct horse battery staple');
    const otherPepper = new Uint8Array(32).fill(8);
    const other = createPasswordHasher({
      pepper: otherPepper,
      params: SMALL,
      random: systemRandom,
    });
    expect((await other.verify('correct horse battery staple', record)).ok).toBe(false);
  });

  it('never truncates: a prefix of a 100-character password fails', async () => {
    const password = 'Kp7#vR2!mZ9$qW4&'.repeat(7).slice(0, 100);
    expect(password.length).toBe(100);
    const record = await hasher.hash(password);
    expect((await hasher.verify(password, record)).ok).toBe(true);
    for (const length of [72, 64, 99]) {
      expect((await hasher.verify(password.slice(0, length), record)).ok).toBe(false);
    }
  });

  it('normalises to NFKC itself: "café" composed and decomposed verify alike', async () => {
    const record = await hasher.hash('caf\u00e9 au lait noir');
    expect((await hasher.verify('cafe\u0301 au lait noir', record)).ok).toBe(true);
  });

  it('equals scrypt then HMAC-SHA-256(pepper) computed independently with @noble/hashes', async () => {
    const password = 'päss wörd 🔑 with Unicode';
    const record = await hasher.hash(password);
    const { salt, hash } = parseRecord(record);
    const stretched = nobleScrypt(new TextEncoder().encode(password), salt, {
      N: SMALL.N,
      r: SMALL.r,
      p: SMALL.p,
      dkLen: SMALL.keyLength,
    });
    expect(Buffer.from(hmac(sha256, pepper, stretched))).toEqual(Buffer.from(hash));
    // and node's own HMAC agrees
    expect(createHmac('sha256', pepper).update(stretched).digest()).toEqual(Buffer.from(hash));
  });

  it('asks for a rehash when the record is below the current parameters', async () => {
    const old = await hasher.hash('correct horse battery staple');
    const stronger = createPasswordHasher({
      pepper,
      params: { ...SMALL, N: 2 ** 11 },
      random: systemRandom,
    });
    expect(await stronger.verify('correct horse battery staple', old)).toEqual({
      ok: true,
      needsRehash: true,
    });
    const renewed = await stronger.hash('correct horse battery staple');
    expect(renewed).toContain('$N=2048,r=8,p=1,l=32$');
    expect(await stronger.verify('correct horse battery staple', renewed)).toEqual({
      ok: true,
      needsRehash: false,
    });
    // A record above the current parameters still verifies, without a rehash.
    expect(await hasher.verify('correct horse battery staple', renewed)).toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it('refuses records that are not its own or carry absurd parameters, never answering ok', async () => {
    const good = await hasher.hash('correct horse battery staple');
    const bad = [
      '',
      'plaintext',
      good.replace('scrypt-hmac-sha256', 'bcrypt'),
      good.replace('v=1', 'v=2'),
      good.replace('N=1024', 'N=1000'),
      good.replace('N=1024', 'N=16777216'),
      good.replace('r=8', 'r=0'),
      good.replace(/\$[A-Za-z0-9+/]{22}\$/, '$AAAA$'),
      good.slice(0, -1),
    ];
    for (const record of bad) {
      await expect(hasher.verify('correct horse battery staple', record), record).rejects.toThrow(
        PasswordRecordError,
      );
    }
  });

  it('refuses a pepper shorter than 32 bytes', () => {
    expect(() =>
      createPasswordHasher({ pepper: new Uint8Array(16), params: SMALL, random: systemRandom }),
    ).toThrow(/32 bytes/);
  });
});

describe('verifyDummy (unknown usernames cost the same time)', () => {
  it('does the same scrypt work as a real verify', async () => {
    const params: ScryptParams = { N: 2 ** 14, r: 8, p: 1, keyLength: 32 };
    const timed = createPasswordHasher({ pepper, params, random: systemRandom, maxConcurrent: 1 });
    const record = await timed.hash('correct horse battery staple');
    // CPU time, not wall time: process.cpuUsage() counts the libuv thread that runs scrypt, and
    // a busy machine delays a computation without making it use more CPU. The bounds are wide
    // because only "the same work" matters (a dummy that skipped scrypt would use ~1% of it);
    // the wall-clock ratio is measured by `npm run bench -- password`.
    const cpuMicros = async (action: () => Promise<unknown>) => {
      const before = process.cpuUsage();
      await action();
      const used = process.cpuUsage(before);
      return used.user + used.system;
    };
    let real = 0;
    let dummy = 0;
    for (let i = 0; i < 9; i += 1) {
      real += await cpuMicros(() => timed.verify('wrong password here', record));
      dummy += await cpuMicros(() => timed.verifyDummy('wrong password here'));
    }
    const ratio = dummy / real;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('concurrency', () => {
  it('runs many hashes at once through a bounded line, all correct', async () => {
    const limited = createPasswordHasher({
      pepper,
      params: SMALL,
      random: systemRandom,
      maxConcurrent: 2,
    });
    const passwords = Array.from({ length: 12 }, (_, i) => `concurrent password ${i}`);
    const records = await Promise.all(passwords.map((password) => limited.hash(password)));
    const results = await Promise.all(
      records.map((record, i) => limited.verify(passwords[i]!, record)),
    );
    expect(results.every((result) => result.ok)).toBe(true);
  });
});

describe('the shared hashing bound (sign-ins never stall the relay)', () => {
  it('leaves the event loop a core: 1 hash at a time on 2 cores, cores - 1 on more', () => {
    expect(hashConcurrencyFor(1)).toBe(1);
    expect(hashConcurrencyFor(2)).toBe(1);
    expect(hashConcurrencyFor(8)).toBe(7);
  });

  it('runs at most maxConcurrent at once, in arrival order', async () => {
    const limiter = createHashLimiter({ maxConcurrent: 2, maxRequests: 10 });
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const task = (i: number) => () =>
      new Promise<number>((resolve) => {
        running += 1;
        most = Math.max(most, running);
        order.push(i);
        releases.push(() => {
          running -= 1;
          resolve(i);
        });
      });
    const results = [0, 1, 2, 3, 4].map((i) => limiter.run(task(i)));
    for (let i = 0; i < 5; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(running).toBeLessThanOrEqual(2);
      releases.shift()?.();
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('admits at most maxRequests requests at once; a released place admits the next', () => {
    const limiter = createHashLimiter({ maxConcurrent: 1, maxRequests: 2 });
    const first = limiter.tryAdmit();
    const second = limiter.tryAdmit();
    expect(first).toBeTypeOf('function');
    expect(second).toBeTypeOf('function');
    expect(limiter.tryAdmit()).toBeUndefined();
    first?.();
    first?.(); // releasing twice frees one place only
    const third = limiter.tryAdmit();
    expect(third).toBeTypeOf('function');
    expect(limiter.tryAdmit()).toBeUndefined();
  });

  it('is one bound for every hasher that shares it', async () => {
    const limiter = createHashLimiter({ maxConcurrent: 1, maxRequests: 1 });
    let running = 0;
    let most = 0;
    const counting: typeof limiter = {
      tryAdmit: limiter.tryAdmit,
      run: (task) =>
        limiter.run(async () => {
          running += 1;
          most = Math.max(most, running);
          try {
            return await task();
          } finally {
            running -= 1;
          }
        }),
    };
    const one = createPasswordHasher({
      pepper,
      params: SMALL,
      random: systemRandom,
      limiter: counting,
    });
    const two = createPasswordHasher({
      pepper,
      params: SMALL,
      random: systemRandom,
      limiter: counting,
    });
    await Promise.all([one.hash('first password here'), two.hash('second password here')]);
    expect(most).toBe(1);
  });
});

describe('PRODUCTION_SCRYPT', () => {
  it('meets OWASP: N=2^17, r=8, p=1 (128 MiB), a 32-byte key', () => {
    expect(PRODUCTION_SCRYPT.N).toBeGreaterThanOrEqual(2 ** 17);
    expect(PRODUCTION_SCRYPT.r).toBeGreaterThanOrEqual(8);
    expect(PRODUCTION_SCRYPT.p).toBeGreaterThanOrEqual(1);
    expect(PRODUCTION_SCRYPT.keyLength).toBeGreaterThanOrEqual(32);
    expect(scryptMemoryBytes(PRODUCTION_SCRYPT)).toBeGreaterThanOrEqual(128 * 2 ** 20);
  });

  it('hashes and verifies at production cost within node:crypto memory limits', async () => {
    const production = createPasswordHasher({
      pepper,
      params: PRODUCTION_SCRYPT,
      random: systemRandom,
    });
    const record = await production.hash('correct horse battery staple');
    expect(record).toContain('$N=131072,r=8,p=1,l=32$');
    expect((await production.verify('correct horse battery staple', record)).ok).toBe(true);
  });
});
