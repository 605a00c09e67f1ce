/**
 * A stored row as the browser receives it (contract/chat.ts `StoredMessage`): the same object
 * in a history page and in the relay's `message` frame.
 */
import type { StoredMessage } from '../../contract/chat.js';
import type { MessageRow } from '../db/message-store.js';

export function storedMessageOf(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    from: String(row.senderId),
    to: String(row.recipientId),
    payload: row.payload,
    clientMessageId: row.clientMessageId,
    at: row.createdAt.toISOString(),
  };
}
