/**
 * The relay's store (plain mysql2, createMessageWriter): a batch's ids, computed from the first
 * id where the server numbers a statement's rows consecutively or read back otherwise, are the
 * ids the rows were stored under; resends and unknown recipients in a batch are told apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';
import {
  type BatchInsertResult,
  createMessageWriter,
  type NewMessage,
} from '../db/message-store.js';

let testDb: TestDatabase;
let alice: number;
let bob: number;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const now = new Date();
  const [result] = await testDb.database.pool.query(
    'INSERT INTO users (username, username_key, password_hash, password_changed_at, created_at) VALUES ?',
    [
      [
        ['writer-a', 'writer-a', '$none', now, now],
        ['writer-b', 'writer-b', '$none', now, now],
      ],
    ],
  );
  alice = (result as { insertId: number }).insertId;
  bob = alice + 1;
});
afterAll(async () => {
  await testDb?.drop();
});

const batch = (prefix: string, count: number, now = new Date('2026-12-01T12:00:00.123Z')) =>
  Array.from(
    { length: count },
    (_, i): NewMessage => ({
      senderId: i % 2 === 0 ? alice : bob,
      recipientId: i % 2 === 0 ? bob : alice,
      clientMessageId: `${prefix}-${i}`,
      payload: `{"n":${i}}`,
      now,
    }),
  );

/** What the database holds for these client ids: id, and the row's fields. */
async function storedByCid(prefix: string) {
  const [rows] = await testDb.database.pool.query(
    'SELECT id, sender_id, recipient_id, pair_key, client_message_id, payload, created_at FROM messages WHERE client_message_id LIKE ? ORDER BY id',
    [`${prefix}-%`],
  );
  return rows as {
    id: number;
    sender_id: number;
    recipient_id: number;
    pair_key: string;
    client_message_id: string;
    payload: string;
    created_at: Date;
  }[];
}

function expectMatches(
  results: BatchInsertResult[],
  stored: Awaited<ReturnType<typeof storedByCid>>,
) {
  const rows = results.map((r) =>
    r.outcome === 'stored' || r.outcome === 'resent' ? r.row : undefined,
  );
  expect(rows.every((r) => r !== undefined)).toBe(true);
  const byCid = new Map(stored.map((s) => [s.client_message_id, s]));
  for (const row of rows) {
    const db = byCid.get(row?.clientMessageId ?? '');
    expect(db).toBeDefined();
    expect(row?.id).toBe(Number(db?.id));
    expect(row?.senderId).toBe(Number(db?.sender_id));
    expect(row?.recipientId).toBe(Number(db?.recipient_id));
    expect(row?.pairKey).toBe(db?.pair_key);
    expect(row?.payload).toBe(db?.payload);
    expect(row?.createdAt.getTime()).toBe(db?.created_at.getTime());
  }
}

describe.each([
  { name: 'the numbering the server has', readBackIds: false },
  { name: 'ids read back', readBackIds: true },
])('the message writer, $name', ({ readBackIds }) => {
  const tag = readBackIds ? 'rb' : 'nb';

  it('stores a batch in list order, under the ids it reports', async () => {
    const writer = createMessageWriter(testDb.database.pool, { readBackIds });
    const results = await writer.insertMessages(batch(`${tag}1`, 37));
    expect(results.map((r) => r.outcome)).toEqual(Array(37).fill('stored'));
    const stored = await storedByCid(`${tag}1`);
    expect(stored.map((s) => s.client_message_id)).toEqual(
      Array.from({ length: 37 }, (_, i) => `${tag}1-${i}`),
    );
    expectMatches(results, stored);
    // A single row too.
    const [one] = await writer.insertMessages(batch(`${tag}2`, 1));
    expectMatches([one as BatchInsertResult], await storedByCid(`${tag}2`));
  });

  it('a batch with a resend in it: the stored one is resent, the others stored once', async () => {
    const writer = createMessageWriter(testDb.database.pool, { readBackIds });
    const first = await writer.insertMessages(batch(`${tag}3`, 3));
    const again = [...batch(`${tag}3`, 5).slice(3), batch(`${tag}3`, 3)[1] as NewMessage];
    const results = await writer.insertMessages(again);
    expect(results.map((r) => r.outcome)).toEqual(['stored', 'stored', 'resent']);
    const stored = await storedByCid(`${tag}3`);
    expect(stored).toHaveLength(5);
    expectMatches([...first, ...results], stored);
    const resent = results[2];
    expect(resent?.outcome === 'resent' && resent.row.id).toBe(
      first[1]?.outcome === 'stored' && first[1].row.id,
    );
  });

  it('an unknown recipient is refused alone; the rows around it are stored in order', async () => {
    const writer = createMessageWriter(testDb.database.pool, { readBackIds });
    const inputs = batch(`${tag}4`, 3);
    (inputs[1] as NewMessage).recipientId = bob + 1000;
    const results = await writer.insertMessages(inputs);
    expect(results.map((r) => r.outcome)).toEqual(['stored', 'unknown_recipient', 'stored']);
    const stored = await storedByCid(`${tag}4`);
    expect(stored.map((s) => s.client_message_id)).toEqual([`${tag}4-0`, `${tag}4-2`]);
    expectMatches([results[0], results[2]] as BatchInsertResult[], stored);
  });
});
