/**
 * The relay's hot path: a send costs one SQL statement (its INSERT). The socket's session was
 * checked when it connected and the shared sweep re-checks it; activity is recorded at most once
 * per ACTIVITY_INTERVAL_MS per session, so the idle rule stays exact to within that interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startAppServer } from '../../test/support/app-server.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { msgPayload, signUpUser } from '../../test/support/live-client.js';
import { LiveSocket } from '../../test/support/resending-client.js';
import { testConfig } from '../../test/support/test-app.js';
import { ACTIVITY_INTERVAL_MS } from '../chat/relay.js';

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

const person = (name: string) => signUpUser(server, name);

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
      seen.push((typeof sql === 'string' ? sql : sql.sql).slice(0, 300));
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
  it('stores a send with at most one statement, amortised; records activity at most once per interval per session', async () => {
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
      expect(statements.seen.some((s) => s.includes('sessions'))).toBe(false);
      // At most one statement per message, amortised (group commit: INSERT, and the id read-back
      // where the server does not number a statement's rows consecutively, per batch), and none
      // on the sessions table; besides, at most once per process, the question of how the server
      // numbers them.
      expect(statements.seen.length).toBeLessThanOrEqual(20);
      expect(
        statements.seen.every((s) =>
          /^(insert into|select .* from) `messages`|^select @@innodb_autoinc_lock_mode/i.test(s),
        ),
      ).toBe(true);
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

  it('group commit: a burst of frames is stored in a few multi-row INSERTs, acked in order, a resend in it stored once', async () => {
    const alice = await person('hot3');
    const bob = await person('hot4');
    const socket = new LiveSocket({ url: server.url, origin: server.url, cookie: alice.cookie });
    const inbox = new LiveSocket({ url: server.url, origin: server.url, cookie: bob.cookie });
    await expect.poll(() => socket.ready && inbox.ready).toBe(true);
    const frame = (i: number) => ({
      type: 'send',
      clientMessageId: `g-${i}`,
      to: bob.id,
      payload: msgPayload(alice.id, bob.id, i),
    });
    try {
      socket.send(frame(1));
      await expect.poll(() => socket.of('ack').length).toBe(1);
      const firstId = socket.of('ack')[0].id;
      const statements = countStatements();
      const burst = 30;
      try {
        for (let i = 2; i <= burst + 1; i += 1) {
          socket.send(frame(i));
          // A resend of the first (its ack was lost, say) in the middle of the burst.
          if (i === 10) socket.send(frame(1));
        }
        await expect.poll(() => socket.of('ack').length).toBe(burst + 2);
      } finally {
        statements.restore();
      }
      const inserts = statements.seen.filter((s) => /^insert/i.test(s)).length;
      console.info('group commit', {
        frames: burst + 1,
        inserts,
        statements: statements.seen.length,
      });
      expect(inserts).toBeLessThan(burst / 3);
      expect(statements.seen.length).toBeLessThanOrEqual(burst + 1);
      const acks = socket.of('ack');
      const byCid = new Map<string, number[]>();
      for (const ack of acks)
        byCid.set(ack.clientMessageId, [...(byCid.get(ack.clientMessageId) ?? []), ack.id]);
      expect(byCid.get('g-1')).toEqual([firstId, firstId]);
      const ids = Array.from({ length: burst }, (_, k) => byCid.get(`g-${k + 2}`)?.[0] ?? 0);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(burst);
      expect(ids[0]).toBeGreaterThan(firstId);
      const [rows] = await server.testDb.database.pool.query(
        'SELECT COUNT(*) AS n FROM messages WHERE sender_id = ?',
        [Number(alice.id)],
      );
      expect(Number((rows as { n: number }[])[0]?.n)).toBe(burst + 1);
      // Each ack names the id its message was stored under.
      const [stored] = await server.testDb.database.pool.query(
        'SELECT id, client_message_id AS cid FROM messages WHERE sender_id = ?',
        [Number(alice.id)],
      );
      for (const row of stored as { id: number; cid: string }[]) {
        expect(byCid.get(row.cid)?.[0]).toBe(Number(row.id));
      }
      // Bob got each stored message (the resend again under its id), in id order.
      await expect.poll(() => new Set(inbox.of('message').map((m) => m.id)).size).toBe(burst + 1);
    } finally {
      socket.stop();
      inbox.stop();
    }
  });
});
