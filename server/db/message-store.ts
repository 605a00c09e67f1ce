/** Chat messages: plain functions taking the database first. Payloads are opaque here. */
import { and, desc, eq, lt, sql } from 'drizzle-orm';
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

/** The user's conversations, the most recently active first. */
export async function recentConversations(
  db: Db,
  userId: number,
  limit: number,
): Promise<ConversationSummary[]> {
  const [rows] = (await db.execute(sql`
    SELECT t.peer_id AS peerId, u.username AS peerUsername, MAX(t.id) AS lastMessageId
    FROM (
      SELECT ${messages.recipientId} AS peer_id, ${messages.id} AS id FROM ${messages}
        WHERE ${messages.senderId} = ${userId}
      UNION ALL
      SELECT ${messages.senderId} AS peer_id, ${messages.id} AS id FROM ${messages}
        WHERE ${messages.recipientId} = ${userId}
    ) AS t
    JOIN ${users} AS u ON u.id = t.peer_id
    GROUP BY t.peer_id, u.username
    ORDER BY lastMessageId DESC
    LIMIT ${limit}
  `)) as unknown as [
    { peerId: number | string; peerUsername: string; lastMessageId: number | string }[],
  ];
  if (rows.length === 0) return [];
  const lastIds = rows.map((row) => Number(row.lastMessageId));
  const times = await db
    .select({ id: messages.id, createdAt: messages.createdAt })
    .from(messages)
    .where(
      sql`${messages.id} IN (${sql.join(
        lastIds.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
  const timeById = new Map(times.map((t) => [t.id, t.createdAt]));
  return rows.map((row) => ({
    peerId: Number(row.peerId),
    peerUsername: row.peerUsername,
    lastMessageId: Number(row.lastMessageId),
    lastAt: timeById.get(Number(row.lastMessageId)) ?? new Date(0),
  }));
}
