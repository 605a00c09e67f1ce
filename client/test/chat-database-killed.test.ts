/**
 * A private mariadbd killed (SIGKILL) for 5 s during a stream of sends from Chromium (issue 8,
 * proofs), against the production server (`node dist/server/main.js`). The relay refuses what
 * it cannot store (`relay_failed`); the client keeps every text "sending…", resends in order,
 * head first, with the same client ids, and the result is zero lost, zero out of order, zero
 * rejected at the recipient, nothing stored twice. (Before: the texts typed during the outage
 * stayed "not sent".) That no later frame is stored before a failed one, wherever the outage
 * falls, is the relay's contract, proved by the server's own tests.
 */
import mysql from 'mysql2/promise';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, appProcess } from '../../test/support/app-process.js';
import type { RunningApp } from '../../test/support/app-server.js';
import { launchChromium } from '../../test/support/browser.js';
import { FLAGGED, shownEntries, talkingPair } from '../../test/support/chat-people.js';
import { createPrivateMariadb, type PrivateMariadb } from '../../test/support/private-mariadb.js';

let db: PrivateMariadb;
let app: AppProcess;
let browser: Browser;

beforeAll(async () => {
  db = await createPrivateMariadb();
  await db.start();
  app = await appProcess(db.urlOf('parley_outage'));
  [browser] = await Promise.all([launchChromium(), app.start()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await db?.destroy();
});

const TOTAL = 40;
const KILL_AFTER = 10;
const OUTAGE_MS = 5_000;

const counterOf = (payload: string) =>
  Number.parseInt(Buffer.from(JSON.parse(payload).iv, 'base64url').toString('hex'), 16);

describe('the database killed mid-stream', () => {
  it(`mariadbd SIGKILLed for 5 s during ${TOTAL} sends: zero lost, zero out of order, zero rejected`, async () => {
    const running = app as unknown as RunningApp;
    const [alice, bob] = await talkingPair(running, browser, ['dbalice', 'dbbob']);

    const input = alice.page.getByLabel('Message', { exact: true });
    let restarted: Promise<void> | undefined;
    let failedSeen = 0;
    for (let i = 0; i < TOTAL; i += 1) {
      await input.fill(`stream ${i}`);
      await input.press('Enter');
      if (i === KILL_AFTER - 1) {
        await db.kill();
        restarted = new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)).then(() => db.start());
      }
      failedSeen += (await shownEntries(alice.page)).filter((e) => e.state === 'failed').length;
      await alice.page.waitForTimeout(150);
    }
    await restarted;

    const expected = ['keys first', ...Array.from({ length: TOTAL }, (_, i) => `stream ${i}`)];
    const mine = async () =>
      (await shownEntries(alice.page))
        .filter((e) => e.who === '>')
        .map((e) => `${e.text}:${e.state}`);
    await expect.poll(mine, { timeout: 60_000 }).toEqual(expected.map((t) => `${t}:sent`));
    // A transient failure never showed "not sent".
    expect(failedSeen).toBe(0);

    // Stored once each, in the order of their counters.
    const connection = await mysql.createConnection({ uri: db.urlOf('parley_outage') });
    const [rows] = await connection.query(
      `SELECT m.payload, m.client_message_id FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE u.username_key = 'dbalice' AND m.payload LIKE '%"type":"msg"%' ORDER BY m.id`,
    );
    await connection.end();
    const stored = rows as { payload: string; client_message_id: string }[];
    const counters = stored.map((r) => counterOf(r.payload));
    const outOfOrder = counters.filter((c, i) => i > 0 && c < (counters[i - 1] ?? 0)).length;
    expect(new Set(stored.map((r) => r.client_message_id)).size).toBe(stored.length);
    expect(stored.length).toBe(expected.length);
    expect(outOfOrder).toBe(0);

    const received = async () =>
      (await shownEntries(bob.page)).filter((e) => e.who === '<').map((e) => e.text);
    await bob.page.reload();
    await bob.page.getByRole('button', { name: /dbalice/ }).click();
    await expect.poll(received, { timeout: 30_000 }).toEqual(expected);
    const rejected = (await shownEntries(bob.page)).filter((e) => FLAGGED.test(e.text)).length;
    expect(rejected).toBe(0);
    console.log(
      `mariadbd killed ${OUTAGE_MS / 1000} s: sent ${expected.length}, acked ${expected.length}, stored ${stored.length}, delivered ${(await received()).length}, lost 0, duplicated 0, out of order ${outOfOrder}, falsely rejected ${rejected}`,
    );
    await alice.context.close();
    await bob.context.close();
  }, 240_000);
});
