/**
 * The relay's hot path: a send costs one SQL statement (its INSERT). The socket's session was
 * checked when it connected and the shared sweep re-checks it; activity is recorded at most once
 * per ACTIVITY_INTERVAL_MS per session, so the idle rule stays exact to within that interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startAppServer } from '../../client/test/support/app-server.js';
import { ACTIVITY_INTERVAL_MS } from '../chat/relay.js';
import { ApiClient, signUp } from './support/api-client.js';
import { FakeClock } from './support/fake-clock.js';
import { LiveSocket, msgPayload } from './support/resending-client.js';
import { testConfig } from './support/test-app.js';

let server: RunningApp;
const clock = new FakeClock(new Date());

beforeAll(async () => {
  // The sweep's default 30 s, not the tests' 100 ms: its checks are not a send's statements.
  server = await startAppServer({
    clock,
    config: { auth: { ...testConfig().auth, liveSessionCheckMs: 30_000 } },
  });
});
afterAll(async () => {
  await server?.stop();
});

async function person(name: string) {
  const client = new ApiClient(server.app, server.url);
  await signUp(client, server.captcha, name, 'juniper trombone glacier');
  const me = await client.get('/api/users/me');
  return { id: me.body.id as string, cookie: client.cookie ?? '' };
}

/** Counts the statements the app's pool runs (drizzle calls query or execute on it). */
function countStatements() {
  const pool = server.testDb.database.pool as unknown as Record<
    'query' | 'execute',
    (...args: unknown[]) => unknown
  >;
  const originals = { query: pool.query, execute: pool.execute };
  const seen: string[] = [];
  for (const name of ['query', 'execute'] as const) {
    pool[name] = function (this: unknown, ...args: unknown[]) {
      const sql = args[0] as string | { sql: string };
      seen.push((typeof sql === 'string' ? sql : sql.sql).slice(0, 40));
      return originals[name].apply(this, args);
    };
  }
  return {
    seen,
    restore() {
      pool.query = originals.query;
      pool.execute = originals.execute;
    },
  };
}

async function lastActive(userId: string): Promise<number> {
  const [rows] = await server.testDb.database.pool.query(
    'SELECT MAX(last_active_at) AS t FROM sessions WHERE user_id = ?',
    [Number(userId)],
  );
  return (rows as { t: Date }[])[0]?.t.getTime() ?? 0;
}

describe('the relay hot path', () => {
  it('stores a send with one statement; records activity at most once per interval per session', async () => {
    const alice = await person('hot1');
    const bob = await person('hot2');
    const socket = new LiveSocket({ url: server.url, origin: server.url, cookie: alice.cookie });
    await expect.poll(() => socket.ready).toBe(true);
    const acks = () => socket.of('ack').length;
    let counter = 0;
    const send = () => {
      counter += 1;
      socket.send({
        type: 'send',
        clientMessageId: `h-${counter}`,
        to: bob.id,
        payload: msgPayload(alice.id, bob.id, counter),
      });
    };
    try {
      const signedUpAt = await lastActive(alice.id);
      clock.advance(1_000);
      // The first send of the session records activity.
      send();
      await expect.poll(acks).toBe(1);
      const firstActivity = await lastActive(alice.id);
      expect(firstActivity).toBeGreaterThan(signedUpAt);
      // The next twenty, within the interval: one INSERT each, no session read or write.
      const statements = countStatements();
      try {
        for (let i = 0; i < 20; i += 1) {
          clock.advance(1_000);
          send();
        }
        await expect.poll(acks).toBe(21);
      } finally {
        statements.restore();
      }
      console.info('statements for 20 sends', {
        total: statements.seen.length,
        kinds: [...new Set(statements.seen.map((s) => s.split(' ')[0]?.toLowerCase()))],
      });
      expect(statements.seen).toHaveLength(20);
      expect(statements.seen.every((s) => /^insert into `messages`/i.test(s))).toBe(true);
      expect(await lastActive(alice.id)).toBe(firstActivity);
      // Once the interval has passed, the next send records activity again.
      clock.advance(ACTIVITY_INTERVAL_MS);
      send();
      await expect.poll(acks).toBe(22);
      expect(await lastActive(alice.id)).toBe(clock.now().getTime());
    } finally {
      socket.stop();
    }
  });
});
