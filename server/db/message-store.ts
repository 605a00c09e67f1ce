/** Chat messages: plain functions taking the database first. Payloads are opaque here. */
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db } from './client.js';
import { isDatabaseUnavailable, isDuplicateEntry, isMissingReference } from './errors.js';
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

export interface NewMessage {
  senderId: number;
  recipientId: number;
  clientMessageId: string;
  payload: string;
  now: Date;
}

export type BatchInsertResult = InsertMessageResult | { outcome: 'failed'; error: unknown };

/** The relay's store: the hot path's statements, as plain mysql2 (no query builder). */
export interface MessageWriter {
  insertMessages(inputs: readonly NewMessage[]): Promise<BatchInsertResult[]>;
}

const INSERT_HEAD =
  'INSERT INTO `messages` (`sender_id`, `recipient_id`, `pair_key`, `client_message_id`, `payload`, `created_at`) VALUES ';
const ROW_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?)';
const SELECT_HEAD =
  'SELECT `id`, `sender_id`, `client_message_id` FROM `messages` WHERE (`sender_id`, `client_message_id`) IN (';

/** The multi-row INSERT of each batch size, built once (a prepared statement per size). */
const insertSql: string[] = [];
const insertStatement = (rows: number): string => {
  let sql = insertSql[rows];
  if (sql === undefined) {
    sql = INSERT_HEAD + new Array<string>(rows).fill(ROW_PLACEHOLDERS).join(', ');
    insertSql[rows] = sql;
  }
  return sql;
};
const selectSql: string[] = [];
const selectStatement = (rows: number): string => {
  let sql = selectSql[rows];
  if (sql === undefined) {
    sql = `${SELECT_HEAD + new Array<string>(rows).fill('(?, ?)').join(', ')})`;
    selectSql[rows] = sql;
  }
  return sql;
};

/**
 * How this server numbers the rows of one multi-row INSERT: with innodb_autoinc_lock_mode 0 or
 * 1 ("traditional", "consecutive": MariaDB's and MySQL 5.7's default) a simple INSERT's rows get
 * consecutive ids, `auto_increment_increment` apart, from the first (`insertId`); with 2
 * ("interleaved": MySQL 8's default) nothing is promised, so the ids are read back. Asked once.
 */
type IdNumbering = { consecutive: true; step: number } | { consecutive: false };

/**
 * Group commit over plain mysql2 (the query builder cost about a third of the relay's busy time
 * under load: bench/relay.bench.ts, RELAY_BENCH_CPU_PROF): one multi-row INSERT per batch (a
 * prepared statement per batch size, mysql2's binary protocol: no escaping of payloads), and the
 * ids either computed from the first id (consecutive numbering) or read back in one SELECT by the
 * unique (sender, client id) index: one or two statements for the batch, whatever its size. Rows
 * get ids in list order. When a resend already stored makes the statement fail as a whole, the
 * stored ones are read back (`resent`) and the others inserted again together; if that fails too
 * (or a recipient is unknown) the rows are stored one by one, in order, where a transient failure
 * fails that row and every later one (`failed`), so nothing after a failed row is stored before
 * it. Any other failure rejects.
 */
export function createMessageWriter(
  pool: Pool,
  /** Always read the ids back, whatever the server's numbering (for tests of that path). */
  options: { readBackIds?: boolean } = {},
): MessageWriter {
  let numbering: Promise<IdNumbering> | undefined = options.readBackIds
    ? Promise.resolve({ consecutive: false })
    : undefined;
  const idNumbering = () => {
    numbering ??= pool
      .query<RowDataPacket[]>(
        'SELECT @@innodb_autoinc_lock_mode AS mode, @@auto_increment_increment AS step',
      )
      .then(([rows]): IdNumbering => {
        const mode = Number(rows[0]?.mode);
        const step = Number(rows[0]?.step);
        return (mode === 0 || mode === 1) && Number.isInteger(step) && step >= 1
          ? { consecutive: true, step }
          : { consecutive: false };
      })
      .catch((error: unknown) => {
        numbering = undefined;
        throw error;
      });
    return numbering;
  };

  const rowOf = (input: NewMessage, id: number): MessageRow => ({
    id,
    senderId: input.senderId,
    recipientId: input.recipientId,
    pairKey: pairKeyOf(input.senderId, input.recipientId),
    clientMessageId: input.clientMessageId,
    payload: input.payload,
    createdAt: input.now,
  });

  const insertRows = async (inputs: readonly NewMessage[]): Promise<ResultSetHeader> => {
    const params: (string | number | Date)[] = [];
    for (const input of inputs) {
      params.push(
        input.senderId,
        input.recipientId,
        pairKeyOf(input.senderId, input.recipientId),
        input.clientMessageId,
        input.payload,
        input.now,
      );
    }
    try {
      const [result] = await pool.execute<ResultSetHeader>(insertStatement(inputs.length), params);
      return result;
    } catch (error) {
      // After an outage the server may be another one (a restart, a fail-over) that numbers
      // rows differently: ask again once it is back.
      if (isDatabaseUnavailable(error) && !options.readBackIds) numbering = undefined;
      throw error;
    }
  };

  /** The stored rows of these (sender, client id) pairs, by `${senderId}:${clientMessageId}`. */
  const storedRows = async (inputs: readonly NewMessage[]): Promise<Map<string, MessageRow>> => {
    const params: (string | number)[] = [];
    for (const input of inputs) params.push(input.senderId, input.clientMessageId);
    const [rows] = await pool.query<RowDataPacket[]>(
      `SELECT * FROM \`messages\` WHERE (\`sender_id\`, \`client_message_id\`) IN (${inputs.map(() => '(?, ?)').join(', ')})`,
      params,
    );
    return new Map(
      rows.map((r) => [
        `${r.sender_id}:${r.client_message_id}`,
        {
          id: Number(r.id),
          senderId: Number(r.sender_id),
          recipientId: Number(r.recipient_id),
          pairKey: String(r.pair_key),
          clientMessageId: String(r.client_message_id),
          payload: String(r.payload),
          createdAt: r.created_at as Date,
        },
      ]),
    );
  };

  const insertOne = async (input: NewMessage): Promise<InsertMessageResult> => {
    try {
      const result = await insertRows([input]);
      return { outcome: 'stored', row: rowOf(input, Number(result.insertId)) };
    } catch (error) {
      if (isMissingReference(error)) return { outcome: 'unknown_recipient' };
      if (!isDuplicateEntry(error)) throw error;
      const row = (await storedRows([input])).get(`${input.senderId}:${input.clientMessageId}`);
      if (!row) throw error;
      return { outcome: 'resent', row };
    }
  };

  const insertMessages = async (
    inputs: readonly NewMessage[],
    retry = true,
  ): Promise<BatchInsertResult[]> => {
    if (inputs.length === 1 && inputs[0]) return [await insertOne(inputs[0])];
    let result: ResultSetHeader;
    try {
      result = await insertRows(inputs);
    } catch (error) {
      if (!isDuplicateEntry(error) && !isMissingReference(error)) throw error;
      if (retry && isDuplicateEntry(error)) {
        const existing = await storedRows(inputs);
        const fresh = inputs.filter((i) => !existing.has(`${i.senderId}:${i.clientMessageId}`));
        const again = fresh.length > 0 ? await insertMessages(fresh, false) : [];
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
          results.push(await insertOne(input));
        } catch (rowError) {
          results.push({ outcome: 'failed', error: rowError });
        }
      }
      return results;
    }
    const ids = await idNumbering().catch(() => ({ consecutive: false }) as const);
    if (ids.consecutive && result.affectedRows === inputs.length) {
      const first = Number(result.insertId);
      return inputs.map((input, i) => ({
        outcome: 'stored',
        row: rowOf(input, first + i * ids.step),
      }));
    }
    const params: (string | number)[] = [];
    for (const input of inputs) params.push(input.senderId, input.clientMessageId);
    const [stored] = await pool.query<RowDataPacket[]>(selectStatement(inputs.length), params);
    const idOf = new Map(
      stored.map((r) => [`${r.sender_id}:${r.client_message_id}`, Number(r.id)]),
    );
    return inputs.map((input) => {
      const id = idOf.get(`${input.senderId}:${input.clientMessageId}`);
      if (id === undefined) return { outcome: 'failed', error: new Error('stored row not found') };
      return { outcome: 'stored', row: rowOf(input, id) };
    });
  };

  return { insertMessages: (inputs) => insertMessages(inputs) };
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
