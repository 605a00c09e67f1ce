import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { createMemoryLogger, REDACTED, redact, throttleRepeats } from './logger.js';

describe('logger', () => {
  it('writes one JSON object per line with level and message', () => {
    const logger = createMemoryLogger();
    logger.info('request', { status: 200 });
    expect(logger.lines).toHaveLength(1);
    const line = JSON.parse(logger.lines[0] ?? '');
    expect(line).toMatchObject({ level: 'info', msg: 'request', status: 200 });
  });

  it('redacts secret-looking fields at any depth', () => {
    const out = redact({ password: 'hunter22', nested: { sessionToken: 'abc', ok: 1 } });
    expect(out).toEqual({ password: REDACTED, nested: { sessionToken: REDACTED, ok: 1 } });
  });

  it("keeps an error's cause but not a failed query's bound values", () => {
    const driver = Object.assign(new Error('Connection lost'), {
      code: 'PROTOCOL_CONNECTION_LOST',
    });
    const error = new DrizzleQueryError(
      'insert into `sessions` values (?, ?)',
      ['h4sh', 'csrf-Secret'],
      driver,
    );
    const logger = createMemoryLogger();
    logger.error('unhandled error', { error });
    const line = logger.lines[0] ?? '';
    expect(line).not.toContain('csrf-Secret');
    expect(line).toContain('insert into `sessions`');
    expect(JSON.parse(line).error.cause).toMatchObject({ message: 'Connection lost' });
  });

  it('drops lines below the configured level', () => {
    const logger = createMemoryLogger('warn');
    logger.info('quiet');
    logger.error('loud');
    expect(logger.lines).toHaveLength(1);
  });
});

describe('repeated identical errors', () => {
  it('are logged once per interval, with a count of the repeats', () => {
    const base = createMemoryLogger();
    let now = 0;
    const scheduled: (() => void)[] = [];
    const logger = throttleRepeats(base, {
      intervalMs: 10_000,
      now: () => now,
      schedule: (run) => scheduled.push(run),
    });
    const lost = () =>
      Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
    for (let i = 0; i < 500; i += 1) {
      now = i * 10; // 500 failures within 5 s
      logger.error('relay failed', { error: lost() });
    }
    logger.error('relay failed', { error: new Error('something else') });
    logger.info('request', { status: 200 });
    expect(base.lines).toHaveLength(3);
    now = 10_000;
    for (const run of scheduled.splice(0)) run();
    expect(base.lines).toHaveLength(4);
    expect(JSON.parse(base.lines[3] ?? '{}')).toMatchObject({ msg: 'relay failed', repeated: 499 });
    // After a quiet interval the next one is logged at once again.
    now = 30_000;
    for (const run of scheduled.splice(0)) run();
    logger.error('relay failed', { error: lost() });
    expect(base.lines).toHaveLength(5);
  });
});
