import { scryptSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createScryptWorkers, HASHING_NICE } from './scrypt-workers.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };
const workers = createScryptWorkers({ count: 2 });
afterAll(() => workers.close());

/** The nice value of each thread of this process (Linux /proc), by thread id. */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('scrypt in low-priority worker threads', () => {
  it('gives what node:crypto gives, for many hashes at once, in any order of completion', async () => {
    const inputs = Array.from({ length: 9 }, (_, i) => ({
      password: `pässword ${i}`,
      salt: Buffer.alloc(16, i),
    }));
    const keys = await Promise.all(inputs.map((i) => workers.scrypt(i.password, i.salt, SMALL)));
    for (const [i, input] of inputs.entries()) {
      const expected = scryptSync(input.password, input.salt, 32, { N: SMALL.N, r: 8, p: 1 });
      expect(keys[i]?.equals(expected)).toBe(true);
    }
  });

  it.runIf(existsSync('/proc/self/task'))(
    'lowers only the workers: they run at nice 19, the event loop thread keeps its priority',
    async () => {
      await workers.scrypt('warm', Buffer.alloc(16), SMALL);
      expect(await workers.priorities()).toContain(HASHING_NICE);
      const nices = threadNices();
      expect(nices.filter((n) => n === HASHING_NICE).length).toBeGreaterThanOrEqual(1);
      const main = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
      expect(Number(main.slice(main.lastIndexOf(')') + 2).split(' ')[16])).toBe(0);
    },
  );

  it('a hash that fails rejects alone; the next ones are computed', async () => {
    await expect(workers.scrypt('x', Buffer.alloc(16), { ...SMALL, maxmem: 1024 })).rejects.toThrow(
      /scrypt failed/,
    );
    const key = await workers.scrypt('y', Buffer.alloc(16, 7), SMALL);
    expect(key.equals(scryptSync('y', Buffer.alloc(16, 7), 32, { N: SMALL.N, r: 8, p: 1 }))).toBe(
      true,
    );
  });

  it('after close, hashing is refused', async () => {
    const pool = createScryptWorkers({ count: 1 });
    await pool.scrypt('z', Buffer.alloc(16), SMALL);
    await pool.close();
    await expect(pool.scrypt('z', Buffer.alloc(16), SMALL)).rejects.toThrow(/closed/);
  });
});
