/** The chat's HTTP reads: who am I, find a contact, my conversations, a conversation's history. */
import { getJson, postJson } from './api.js';

export interface ChatUser {
  /** The server's immutable user id, decimal: the protocol's user id. */
  id: string;
  username: string;
}

export interface ConversationSummary {
  peer: ChatUser;
  lastMessageId: number;
  lastAt: string;
  /** The newest message this user has read here, in any browser (0: none). */
  lastReadId: number;
}

export interface StoredMessage {
  id: number;
  from: string;
  to: string;
  payload: string;
  at: string;
}

const HISTORY_PAGE = 100;

export function whoAmI(): Promise<ChatUser> {
  return getJson<ChatUser>('/api/users/me');
}

/** The user with exactly this username (any case), or undefined. */
export async function findUser(username: string): Promise<ChatUser | undefined> {
  const { users } = await getJson<{ users: ChatUser[] }>(
    `/api/users?${new URLSearchParams({ username })}`,
  );
  return users[0];
}

export async function listConversations(): Promise<ConversationSummary[]> {
  return (await getJson<{ conversations: ConversationSummary[] }>('/api/conversations'))
    .conversations;
}

export function historyPage(
  peerId: string,
  before?: number,
  background = false,
): Promise<{ messages: StoredMessage[]; hasMore: boolean }> {
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  if (before !== undefined) query.set('before', String(before));
  return getJson(`/api/conversations/${encodeURIComponent(peerId)}/messages?${query}`, {
    background,
  });
}

/** Moves the user's read mark of the conversation with `peerId` up to message `lastReadId`. */
export async function markRead(peerId: string, lastReadId: number): Promise<void> {
  await postJson(`/api/conversations/${encodeURIComponent(peerId)}/read`, { lastReadId });
}
