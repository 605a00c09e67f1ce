/**
 * The chat's read side over HTTP (server/routes/chat.ts ↔ client/src/services/chat-api.ts):
 * the answers' shapes. A stored message is the same object here and in the relay's `message`
 * frame (contract/relay.ts).
 */

/** A user as the chat shows one. */
export interface ChatUser {
  /** The server's immutable user id, decimal: the protocol's user id. */
  id: string;
  username: string;
}

/** A stored protocol message: its place in the conversation, the users, its JSON text. */
export interface StoredMessage {
  id: number;
  from: string;
  to: string;
  /** The protocol message's JSON text (contract/protocol.ts). */
  payload: string;
  /**
   * The id the sender's browser chose when the text was typed (one stored message per sender
   * and client id): the sender's pages match their own entries, and their outbox, by it.
   */
  clientMessageId: string;
  /** ISO 8601: when it was stored. */
  at: string;
}

export interface ConversationSummary {
  peer: ChatUser;
  lastMessageId: number;
  lastAt: string;
  /** The newest message this user has read here, in any browser (0: none). */
  lastReadId: number;
}

/** GET /api/users?username= : the one user of that name (never oneself), or none. */
export interface UserSearchAnswer {
  users: ChatUser[];
}

/** GET /api/conversations: latest first. */
export interface ConversationsAnswer {
  conversations: ConversationSummary[];
}

/** GET /api/conversations/:peerId/messages: a page in id order. */
export interface HistoryAnswer {
  messages: StoredMessage[];
  hasMore: boolean;
}
