/**
 * A tiny benchmark harness. Figures are printed as ratios against a baseline measured in the
 * same run, so a noisy shared machine shifts both sides together.
 */
import { performance } from 'node:perf_hooks';

export interface Timing {
  /** Median milliseconds per operation. */
  medianMs: number;
  /** Operations per second at the median. */
  opsPerSecond: number;
  samples: number;
}

/** Runs `operation` repeatedly for about `budgetMs` (after a warm-up) and reports the median. */
export async function time(
  operation: () => unknown | Promise<unknown>,
  options: { budgetMs?: number; minSamples?: number; warmup?: number } = {},
): Promise<Timing> {
  const budgetMs = options.budgetMs ?? 1_000;
  const minSamples = options.minSamples ?? 5;
  for (let i = 0; i < (options.warmup ?? 2); i += 1) await operation();
  const durations: number[] = [];
  const start = performance.now();
  while (durations.length < minSamples || performance.now() - start < budgetMs) {
    const t0 = performance.now();
    await operation();
    durations.push(performance.now() - t0);
    if (durations.length >= 10_000) break;
  }
  durations.sort((a, b) => a - b);
  const medianMs = durations[Math.floor(durations.length / 2)] ?? Number.NaN;
  return { medianMs, opsPerSecond: 1_000 / medianMs, samples: durations.length };
}

export function formatMs(ms: number): string {
  return ms >= 100
    ? `${ms.toFixed(0)} ms`
    : ms >= 1
      ? `${ms.toFixed(2)} ms`
      : `${(ms * 1000).toFixed(1)} µs`;
}

/** Prints one result line: the figure, and the ratio against the named baseline. */
export function report(name: string, value: string, ratio?: { of: string; times: number }): void {
  const against = ratio ? `  (${ratio.times.toFixed(2)}× ${ratio.of})` : '';
  console.log(`  ${name.padEnd(52)} ${value}${against}`);
}

export interface Benchmark {
  title: string;
  run(): Promise<void>;
}
