import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../logger.js';
import { WAIT_LOG_INTERVAL_MS, WAIT_RETRY_MS, waitForDatabase } from './wait-for-database.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), {
    code: 'ECONNREFUSED',
    fatal: true,
  });

describe('waiting for the database at start-up', () => {
  it('retries for as long as it takes, one short line (no stack) about every 10 s', async () => {
    const logger = createMemoryLogger();
    let clock = 0;
    let attempts = 0;
    // Down for 5 minutes (far past the old 30 attempts), then up.
    await waitForDatabase(
      async () => {
        attempts += 1;
        if (clock < 300_000) throw refused();
      },
      'migrations',
      {
        logger,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );
    expect(attempts).toBe(300_000 / WAIT_RETRY_MS + 1);
    const waiting = logger.lines.filter((l) => l.includes('waiting for the database'));
    expect(waiting).toHaveLength(300_000 / WAIT_LOG_INTERVAL_MS);
    expect(logger.lines.some((l) => l.includes('stack'))).toBe(false);
    expect(JSON.parse(waiting[0] ?? '{}').reason).toEqual({
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:3306',
    });
    expect(logger.lines.at(-1)).toContain('database reached');
  });

  it('gives up at once on an error retrying cannot help', async () => {
    const logger = createMemoryLogger();
    const broken = new Error('You have an error in your SQL syntax');
    await expect(
      waitForDatabase(
        async () => {
          throw broken;
        },
        'migrations',
        { logger, sleep: async () => {} },
      ),
    ).rejects.toBe(broken);
  });
});
