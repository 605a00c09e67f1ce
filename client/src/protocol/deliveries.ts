/**
 * The bounded memories a conversation record keeps besides its keys: which relay ids this
 * browser already accepted (so every tab of it shows a stored message once, whichever tab saw
 * it first, without weakening the replay check), and short lists of exchange ids. Pure
 * functions over the record; the caller holds the conversation's lock.
 */
import { DELIVERIES_KEPT, EXCHANGES_NOTED } from './constants.js';
import type { ConversationRecord, DeliveryRecord } from './state.js';

/** What this browser accepted under relay id `id`, if it still remembers. */
export function deliveryOf(record: ConversationRecord, id: number): DeliveryRecord | undefined {
  return record.delivered.find((delivery) => delivery.id === id);
}

/**
 * Remembers that the message stored as `id` (authenticated by `mac`) was accepted here; `own`:
 * our own user sent it (a receipt from the peer may acknowledge it).
 */
export function rememberDelivery(
  record: ConversationRecord,
  id: number,
  mac: string,
  own = false,
): void {
  if (deliveryOf(record, id) !== undefined) return;
  record.delivered.push(own ? { id, mac, own } : { id, mac });
  // Keep the highest ids: concurrent tabs race on the newest deliveries, never on old ones.
  record.delivered.sort((a, b) => a.id - b.id);
  if (record.delivered.length > DELIVERIES_KEPT) {
    record.delivered.splice(0, record.delivered.length - DELIVERIES_KEPT);
  }
}

/** Adds `xid` to one of the record's bounded lists of exchange ids (newest last). */
export function noteExchange(list: string[], xid: string): void {
  if (list.includes(xid)) return;
  list.push(xid);
  if (list.length > EXCHANGES_NOTED) list.splice(0, list.length - EXCHANGES_NOTED);
}
