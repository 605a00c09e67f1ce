/** How far each user has read each conversation (`conversation_reads`). */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { pairKeyOf } from './message-store.js';
import { conversationReads, messages } from './schema.js';

/**
 * Moves the user's read mark of the conversation with `peerId` up to message `upToId`, never
 * back. The id must be a message of that conversation; returns false (and changes nothing)
 * when it is not.
 */
export async function markRead(
  db: Db,
  userId: number,
  peerId: number,
  upToId: number,
): Promise<boolean> {
  const found = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.id, upToId), eq(messages.pairKey, pairKeyOf(userId, peerId))))
    .limit(1);
  if (found.length === 0) return false;
  await db
    .insert(conversationReads)
    .values({ userId, peerId, lastReadId: upToId })
    .onDuplicateKeyUpdate({
      set: { lastReadId: sql`GREATEST(${conversationReads.lastReadId}, ${upToId})` },
    });
  return true;
}

/** The user's read marks, by peer id (absent: nothing read yet). */
export async function readMarks(db: Db, userId: number): Promise<Map<number, number>> {
  const rows = await db
    .select({ peerId: conversationReads.peerId, lastReadId: conversationReads.lastReadId })
    .from(conversationReads)
    .where(eq(conversationReads.userId, userId));
  return new Map(rows.map((row) => [Number(row.peerId), Number(row.lastReadId)]));
}
