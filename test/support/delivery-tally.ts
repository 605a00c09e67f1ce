/**
 * What happened to one sender's stream: sent, acknowledged, stored, delivered (live, by
 * distinct server id), lost, duplicated, stored out of order (counters read from the stored
 * payloads in id order; the sender numbered its messages 1..sent).
 */
import mysql from 'mysql2/promise';
import type { Frame } from './live-client.js';
import { counterOf, type LiveSocket, type ResendingSender } from './resending-client.js';

export interface Tally {
  sent: number;
  acked: number;
  stored: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

export async function tallyDelivery(
  databaseUrl: string,
  sender: ResendingSender,
  senderId: string,
  recipient: LiveSocket,
): Promise<Tally> {
  const connection = await mysql.createConnection({ uri: databaseUrl });
  const [rows] = await connection.query(
    'SELECT id, payload FROM messages WHERE sender_id = ? ORDER BY id',
    [Number(senderId)],
  );
  await connection.end();
  const counters = (rows as { payload: string }[]).map((r) => counterOf(r.payload));
  const sent = sender.outbox.length;
  const unique = new Set(counters);
  let outOfOrder = 0;
  for (let i = 1; i < counters.length; i += 1) {
    if ((counters[i] ?? 0) < (counters[i - 1] ?? 0)) outOfOrder += 1;
  }
  const deliveredIds = new Set(
    recipient
      .of('message')
      .filter((f: Frame) => f.from === senderId)
      .map((f: Frame) => f.id),
  );
  return {
    sent,
    acked: sender.acked.length,
    stored: counters.length,
    delivered: deliveredIds.size,
    lost: [...Array(sent).keys()].filter((i) => !unique.has(i + 1)).length,
    duplicated: counters.length - unique.size,
    outOfOrder,
  };
}

/** The tally of a stream where nothing went wrong. */
export const cleanTally = (sent: number): Tally => ({
  sent,
  acked: sent,
  stored: sent,
  delivered: sent,
  lost: 0,
  duplicated: 0,
  outOfOrder: 0,
});
