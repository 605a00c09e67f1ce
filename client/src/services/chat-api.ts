/** The chat's HTTP reads: who am I, find a contact, my conversations, a conversation's history. */
import type {
  ChatUser,
  ConversationSummary,
  ConversationsAnswer,
  HistoryAnswer,
  StoredMessage,
  UserSearchAnswer,
} from '../../../contract/chat.js';
import type { ApiClient } from './api.js';

/** The answers' shapes are the contract's (contract/chat.ts). */
export type { ChatUser, ConversationSummary, StoredMessage };

const HISTORY_PAGE = 100;

export function whoAmI(api: ApiClient): Promise<ChatUser> {
  return api.getJson<ChatUser>('/api/users/me');
}

/** The user with exactly this username (any case), or undefined. */
export async function findUser(api: ApiClient, username: string): Promise<ChatUser | undefined> {
  const { users } = await api.getJson<UserSearchAnswer>(
    `/api/users?${new URLSearchParams({ username })}`,
  );
  return users[0];
}

export async function listConversations(api: ApiClient): Promise<ConversationSummary[]> {
  return (await api.getJson<ConversationsAnswer>('/api/conversations')).conversations;
}

export function historyPage(
  api: ApiClient,
  peerId: string,
  before?: number,
  background = false,
): Promise<HistoryAnswer> {
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  if (before !== undefined) query.set('before', String(before));
  return api.getJson(`/api/conversations/${encodeURIComponent(peerId)}/messages?${query}`, {
    background,
  });
}

/** Moves the user's read mark of the conversation with `peerId` up to message `lastReadId`. */
export async function markRead(api: ApiClient, peerId: string, lastReadId: number): Promise<void> {
  await api.postJson(`/api/conversations/${encodeURIComponent(peerId)}/read`, { lastReadId });
}
