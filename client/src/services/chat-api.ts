/** The chat's HTTP reads: who am I, find a contact, my conversations, a conversation's history. */
import type {
  ChatUser,
  ConversationSummary,
  ConversationsAnswer,
  HistoryAnswer,
  StoredMessage,
  UserSearchAnswer,
} from '../../../contract/chat.js';
import { getJson, postJson } from './api.js';

/** The answers' shapes are the contract's (contract/chat.ts). */
export type { ChatUser, ConversationSummary, StoredMessage };

const HISTORY_PAGE = 100;

export function whoAmI(): Promise<ChatUser> {
  return getJson<ChatUser>('/api/users/me');
}

/** The user with exactly this username (any case), or undefined. */
export async function findUser(username: string): Promise<ChatUser | undefined> {
  const { users } = await getJson<UserSearchAnswer>(
    `/api/users?${new URLSearchParams({ username })}`,
  );
  return users[0];
}

export async function listConversations(): Promise<ConversationSummary[]> {
  return (await getJson<ConversationsAnswer>('/api/conversations')).conversations;
}

export function historyPage(
  peerId: string,
  before?: number,
  background = false,
): Promise<HistoryAnswer> {
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
