/**
 * Password primitives: one hash at PRODUCTION_SCRYPT (against scrypt at N=2^14 in the same run),
 * hashes per second at 2 and 8 concurrent callers (against one at a time) with the longest
 * event-loop stall during them (against the stall of an idle loop over the same time), and the
 * breach corpus: load time (against reading the file) and lookup time (against a SHA-256 of the
 * same password). Sign-ins per second through the whole flow are benched with the flow itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { defaultBreachCorpusFile, loadBreachCorpus } from '../server/auth/breach-corpus.js';
import {
  createPasswordHasher,
  PRODUCTION_SCRYPT,
  type ScryptParams,
  scryptMemoryBytes,
} from '../server/auth/password-hash.js';
import { systemRandom } from '../server/random.js';
import { type Benchmark, formatMs, report, time } from './lib.js';

const pepper = systemRandom.bytes(32);
const PASSWORD = 'correct horse battery staple';
const LIGHT: ScryptParams = { N: 2 ** 14, r: 8, p: 1, keyLength: 32 };
const HASHES_PER_RUN = 16;

/** Runs `total` hashes with `concurrency` callers in flight; hashes/s and the longest stall. */
async function concurrentRun(
  hash: () => Promise<unknown>,
  concurrency: number,
  total: number,
): Promise<{ perSecond: number; maxStallMs: number; p99StallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started += 1;
      await hash();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - start;
  histogram.disable();
  return {
    perSecond: (total * 1000) / elapsed,
    // The histogram records how late each 1 ms timer fired (in ns), resolution included.
    maxStallMs: histogram.max / 1e6,
    p99StallMs: histogram.percentile(99) / 1e6,
  };
}

async function idleStall(ms: number): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  histogram.disable();
  return histogram.max / 1e6;
}

const benchmark: Benchmark = {
  title: 'Password hashing and the breach corpus',
  async run() {
    const production = createPasswordHasher({
      pepper,
      params: PRODUCTION_SCRYPT,
      random: systemRandom,
    });
    const light = createPasswordHasher({ pepper, params: LIGHT, random: systemRandom });

    const lightTime = await time(() => light.hash(PASSWORD), { budgetMs: 500 });
    const productionTime = await time(() => production.hash(PASSWORD), {
      budgetMs: 2_000,
      minSamples: 5,
    });
    const { N, r, p } = PRODUCTION_SCRYPT;
    report(`scrypt N=2^14,r=8,p=1 + HMAC, one hash (baseline)`, formatMs(lightTime.medianMs));
    report(
      `scrypt N=2^${Math.log2(N)},r=${r},p=${p} (${scryptMemoryBytes(PRODUCTION_SCRYPT) >> 20} MiB) + HMAC`,
      formatMs(productionTime.medianMs),
      { of: 'N=2^14', times: productionTime.medianMs / lightTime.medianMs },
    );
    const record = await production.hash(PASSWORD);
    const verifyTime = await time(() => production.verify(PASSWORD, record), { budgetMs: 1_000 });
    const dummyTime = await time(() => production.verifyDummy(PASSWORD), { budgetMs: 1_000 });
    report('verify, production parameters', formatMs(verifyTime.medianMs));
    report('verifyDummy (unknown username)', formatMs(dummyTime.medianMs), {
      of: 'verify',
      times: dummyTime.medianMs / verifyTime.medianMs,
    });

    const sequentialPerSecond = 1000 / productionTime.medianMs;
    report('hashes/s, one at a time (baseline)', sequentialPerSecond.toFixed(2));
    const idleMs = HASHES_PER_RUN * productionTime.medianMs * 0.5;
    const idle = await idleStall(idleMs);
    report('longest event-loop stall, idle loop (baseline)', formatMs(idle));
    const limitedOf = (maxConcurrent: number) =>
      createPasswordHasher({
        pepper,
        params: PRODUCTION_SCRYPT,
        random: systemRandom,
        maxConcurrent,
      });
    for (const [label, hasher, concurrency] of [
      ['2 concurrent callers', production, 2],
      ['8 concurrent callers', production, 8],
      ['8 concurrent callers, no queue (maxConcurrent 8)', limitedOf(8), 8],
    ] as const) {
      const run = await concurrentRun(() => hasher.hash(PASSWORD), concurrency, HASHES_PER_RUN);
      report(`hashes/s, ${label}`, run.perSecond.toFixed(2), {
        of: 'one at a time',
        times: run.perSecond / sequentialPerSecond,
      });
      report(
        `  longest event-loop stall (p99 ${formatMs(run.p99StallMs)})`,
        formatMs(run.maxStallMs),
        {
          of: 'idle',
          times: run.maxStallMs / idle,
        },
      );
    }

    const file = defaultBreachCorpusFile();
    const readTime = await time(() => readFileSync(file), { budgetMs: 500 });
    const loadTime = await time(() => loadBreachCorpus(file), { budgetMs: 3_000, minSamples: 3 });
    const corpus = loadBreachCorpus(file);
    report('reading the 1M list file (baseline)', formatMs(readTime.medianMs));
    report(
      `breach corpus load (${corpus.size} hashes, ${((corpus.size * 8) / 2 ** 20).toFixed(1)} MiB)`,
      formatMs(loadTime.medianMs),
      { of: 'reading the file', times: loadTime.medianMs / readTime.medianMs },
    );
    const candidates = Array.from({ length: 10_000 }, (_, i) => `candidate password ${i}`);
    const batch = (action: (password: string) => unknown) => () => {
      for (const candidate of candidates) action(candidate);
    };
    const shaTime = await time(
      batch((password) => createHash('sha256').update(password).digest()),
      {
        budgetMs: 500,
      },
    );
    const lookupTime = await time(
      batch((password) => corpus.has(password) || corpus.has(password.toLowerCase())),
      { budgetMs: 500 },
    );
    report('SHA-256 of a password (baseline)', formatMs(shaTime.medianMs / candidates.length));
    report(
      'corpus lookup (exact and lower-case form)',
      formatMs(lookupTime.medianMs / candidates.length),
      { of: 'SHA-256', times: lookupTime.medianMs / shaTime.medianMs },
    );
  },
};

export default benchmark;
