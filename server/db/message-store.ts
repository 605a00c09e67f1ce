/** Chat messages: plain functions taking the database first. Payloads are opaque here. */
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { isDuplicateEntry, isMissingReference } from './errors.js';
import { messages, users } from './schema.js';

export type MessageRow = typeof messages.$inferSelect;

/** The conversation of two users, the same whichever of them asks. */
export function pairKeyOf(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

export type InsertMessageResult =
  | { outcome: 'stored'; row: MessageRow }
  /** The sender already stored a message with this client id (a resend after a lost ack). */
  | { outcome: 'resent'; row: MessageRow }
  /** No user has the recipient's id (the foreign key refused the row): nothing stored. */
  | { outcome: 'unknown_recipient' };

export async function insertMessage(
  db: Db,
  input: {
    senderId: number;
    recipientId: number;
    clientMessageId: string;
    payload: string;
    now: Date;
  },
): Promise<InsertMessageResult> {
  const values = {
    senderId: input.senderId,
    recipientId: input.recipientId,
    pairKey: pairKeyOf(input.senderId, input.recipientId),
    clientMessageId: input.clientMessageId,
    payload: input.payload,
    createdAt: input.now,
  };
  try {
    const [result] = await db.insert(messages).values(values);
    return { outcome: 'stored', row: { id: result.insertId, ...values } };
  } catch (error) {
    if (isMissingReference(error)) return { outcome: 'unknown_recipient' };
    if (!isDuplicateEntry(error)) throw error;
    const rows = await db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.senderId, input.senderId),
          eq(messages.clientMessageId, input.clientMessageId),
        ),
      )
      .limit(1);
    const row = rows[0];
    if (!row) throw error;
    return { outcome: 'resent', row };
  }
}

export interface NewMessage {
  senderId: number;
  recipientId: number;
  clientMessageId: string;
  payload: string;
  now: Date;
}

export type BatchInsertResult = InsertMessageResult | { outcome: 'failed'; error: unknown };

/**
 * Group commit: stores several messages with one multi-row INSERT (one round trip), then reads
 * their ids back in one SELECT by the unique (sender, client id) index (ids of one statement are
 * not promised to be consecutive, e.g. with innodb_autoinc_lock_mode = 2): two statements for
 * the batch, whatever its size. Rows get ids in list order. When a resend already stored makes
 * the statement fail as a whole, the stored ones are read back (`resent`) and the others
 * inserted again together; if that fails too (or a recipient is unknown) the rows are stored
 * one by one, in order, where a transient failure fails that row and every later one
 * (`failed`), so nothing after a failed row is stored before it. Any other failure rejects.
 */
export async function insertMessages(
  db: Db,
  inputs: readonly NewMessage[],
  retry = true,
): Promise<BatchInsertResult[]> {
  if (inputs.length === 1 && inputs[0]) return [await insertMessage(db, inputs[0])];
  const values = inputs.map((input) => ({
    senderId: input.senderId,
    recipientId: input.recipientId,
    pairKey: pairKeyOf(input.senderId, input.recipientId),
    clientMessageId: input.clientMessageId,
    payload: input.payload,
    createdAt: input.now,
  }));
  try {
    await db.insert(messages).values(values);
  } catch (error) {
    if (!isDuplicateEntry(error) && !isMissingReference(error)) throw error;
    if (retry && isDuplicateEntry(error)) {
      const existing = await storedRows(db, inputs);
      const fresh = inputs.filter((i) => !existing.has(`${i.senderId}:${i.clientMessageId}`));
      const again = fresh.length > 0 ? await insertMessages(db, fresh, false) : [];
      return inputs.map((input): BatchInsertResult => {
        const row = existing.get(`${input.senderId}:${input.clientMessageId}`);
        return row ? { outcome: 'resent', row } : (again.shift() as BatchInsertResult);
      });
    }
    const results: BatchInsertResult[] = [];
    for (const input of inputs) {
      const failed = results.find((r) => r.outcome === 'failed');
      if (failed) {
        results.push(failed);
        continue;
      }
      try {
        results.push(await insertMessage(db, input));
      } catch (rowError) {
        results.push({ outcome: 'failed', error: rowError });
      }
    }
    return results;
  }
  const stored = await db
    .select({ id: messages.id, senderId: messages.senderId, cid: messages.clientMessageId })
    .from(messages)
    .where(
      or(
        ...values.map((v) =>
          and(eq(messages.senderId, v.senderId), eq(messages.clientMessageId, v.clientMessageId)),
        ),
      ),
    );
  const idOf = new Map(stored.map((r) => [`${r.senderId}:${r.cid}`, r.id]));
  return values.map((v) => {
    const id = idOf.get(`${v.senderId}:${v.clientMessageId}`);
    if (id === undefined) return { outcome: 'failed', error: new Error('stored row not found') };
    return { outcome: 'stored', row: { id, ...v } };
  });
}

/** The stored rows of these (sender, client id) pairs, by `${senderId}:${clientMessageId}`. */
async function storedRows(
  db: Db,
  inputs: readonly { senderId: number; clientMessageId: string }[],
): Promise<Map<string, MessageRow>> {
  const rows = await db
    .select()
    .from(messages)
    .where(
      or(
        ...inputs.map((i) =>
          and(eq(messages.senderId, i.senderId), eq(messages.clientMessageId, i.clientMessageId)),
        ),
      ),
    );
  return new Map(rows.map((r) => [`${r.senderId}:${r.clientMessageId}`, r]));
}

/**
 * One page of a conversation's history: the latest `limit` messages with an id below
 * `beforeId` (all when absent), returned in ascending id order, plus whether older ones exist.
 */
export async function conversationPage(
  db: Db,
  input: { userId: number; peerId: number; beforeId?: number; limit: number },
): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
  const pair = eq(messages.pairKey, pairKeyOf(input.userId, input.peerId));
  const rows = await db
    .select()
    .from(messages)
    .where(input.beforeId === undefined ? pair : and(pair, lt(messages.id, input.beforeId)))
    .orderBy(desc(messages.id))
    .limit(input.limit + 1);
  const hasMore = rows.length > input.limit;
  return { rows: rows.slice(0, input.limit).reverse(), hasMore };
}

export interface ConversationSummary {
  peerId: number;
  peerUsername: string;
  lastMessageId: number;
  lastAt: Date;
}

/** The user's conversations, the most recently active first, in one query. */
export async function recentConversations(
  db: Db,
  userId: number,
  limit: number,
): Promise<ConversationSummary[]> {
  const [rows] = (await db.execute(sql`
    SELECT t.peer_id AS peerId, u.username AS peerUsername, m.id AS lastMessageId,
      m.created_at AS lastAt
    FROM (
      SELECT peer_id, MAX(id) AS last_id FROM (
        SELECT ${messages.recipientId} AS peer_id, ${messages.id} AS id FROM ${messages}
          WHERE ${messages.senderId} = ${userId}
        UNION ALL
        SELECT ${messages.senderId} AS peer_id, ${messages.id} AS id FROM ${messages}
          WHERE ${messages.recipientId} = ${userId}
      ) AS mine
      GROUP BY peer_id
      ORDER BY last_id DESC
      LIMIT ${limit}
    ) AS t
    JOIN ${messages} AS m ON m.id = t.last_id
    JOIN ${users} AS u ON u.id = t.peer_id
    ORDER BY m.id DESC
  `)) as unknown as [
    {
      peerId: number | string;
      peerUsername: string;
      lastMessageId: number | string;
      lastAt: string;
    }[],
  ];
  return rows.map((row) => ({
    peerId: Number(row.peerId),
    peerUsername: row.peerUsername,
    lastMessageId: Number(row.lastMessageId),
    // A raw query gets the driver's DATETIME text (UTC); the column maps it as a select would.
    lastAt: messages.createdAt.mapFromDriverValue(row.lastAt) as Date,
  }));
}
