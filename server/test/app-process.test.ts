/**
 * The real app process (server/main.ts, spawned, killed only by its pid): SIGKILLed during a
 * stream of sends and restarted, it loses no acknowledged message and stores none twice; started
 * while its database is down for 60 s, it waits (one short line about every 10 s, no stack)
 * and comes up by itself when the database returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/database-server.js';
import { cleanTally, tallyDelivery } from '../../test/support/delivery-tally.js';
import { msgPayload } from '../../test/support/live-client.js';
import { createPrivateMariadb } from '../../test/support/private-mariadb.js';
import { LiveSocket, ResendingSender } from '../../test/support/resending-client.js';
import { type SpawnedApp, signUpUsers, spawnApp } from '../../test/support/spawned-app.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the app process', () => {
  let testDb: TestDatabase;
  const apps: SpawnedApp[] = [];
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.kill('SIGKILL');
    await testDb?.drop();
  });

  it('killed with SIGKILL during a stream of sends and restarted: no acknowledged message lost, none duplicated, none out of order', async () => {
    const [alice, bob] = await signUpUsers(testDb.url, ['streamer', 'listener']);
    const port = await freePort();
    const first = await spawnApp({ databaseUrl: testDb.url, port });
    apps.push(first);
    await first.waitForLine(/"msg":"listening"/, 30_000);
    const url = `http://127.0.0.1:${port}`;
    const inbox = new LiveSocket({ url, origin: url, cookie: bob!.cookie, reconnect: true });
    const out = new ResendingSender({ url, origin: url, cookie: alice!.cookie }, 16);
    const total = 200;
    let queued = 0;
    const stream = setInterval(() => {
      if (queued >= total) return clearInterval(stream);
      queued += 1;
      out.queue(`k-${queued}`, bob!.id, msgPayload(alice!.id, bob!.id, queued));
    }, 15);
    try {
      await expect.poll(() => out.acked.length, { timeout: 20_000 }).toBeGreaterThan(60);
      await first.kill('SIGKILL');
      const ackedBeforeKill = out.acked.map((m) => ({ cid: m.clientMessageId, id: m.ackId }));
      const second = await spawnApp({ databaseUrl: testDb.url, port });
      apps.push(second);
      await second.waitForLine(/"msg":"listening"/, 30_000);
      await expect.poll(() => queued === total && out.done, { timeout: 30_000 }).toBe(true);
      const result = await tallyDelivery(testDb.url, out, alice!.id, inbox);
      console.info('app SIGKILLed mid-stream', {
        ...result,
        ackedBeforeKill: ackedBeforeKill.length,
        attempts: out.attempts,
        refusals: Object.fromEntries(out.refusals),
      });
      // Live delivery misses what was stored while the recipient was reconnecting (history
      // has it); everything else must be exact.
      expect({ ...result, delivered: total }).toEqual(cleanTally(total));
      // Every acknowledgement given before the kill still names the same stored message.
      const byCid = new Map(out.outbox.map((m) => [m.clientMessageId, m.ackId]));
      for (const before of ackedBeforeKill) expect(byCid.get(before.cid)).toBe(before.id);
    } finally {
      clearInterval(stream);
      out.stop();
      inbox.stop();
    }
  }, 90_000);

  it('started while its database is down for 60 s: waits, one short line about every 10 s, and comes up by itself', async () => {
    const OUTAGE_MS = 60_000;
    const db = await createPrivateMariadb();
    try {
      const app = await spawnApp({ databaseUrl: db.urlOf('parley_late') });
      apps.push(app);
      await sleep(OUTAGE_MS);
      expect(app.exited).toBe(false);
      const waiting = app.lines.filter((l) => l.includes('waiting for the database'));
      expect(waiting.length).toBeGreaterThanOrEqual(5);
      expect(waiting.length).toBeLessThanOrEqual(8);
      expect(app.lines.some((l) => /^\s+at /.test(l) || l.includes('"stack"'))).toBe(false);
      await db.start();
      await app.waitForLine(/"msg":"listening"/, 30_000);
      const health = await fetch(`${app.url}/healthz`);
      console.info('start-up during a database outage', {
        outageMs: OUTAGE_MS,
        waitingLines: waiting.length,
        logBytesDuringOutage: waiting.join('\n').length,
        healthz: health.status,
      });
      expect(health.status).toBe(200);
      await app.kill('SIGTERM');
    } finally {
      await db.destroy();
    }
  }, 150_000);
});
