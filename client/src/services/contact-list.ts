/**
 * What the contact list shows of each conversation, from its decrypted entries and the read mark
 * the server keeps (docs/architecture.md, "Unread counts"): the unread count, the last activity
 * (for the order) and a preview of the newest message. Pure.
 */
import type { ChatEntry } from './timeline.js';

/** The peer's messages placed after the read mark: texts and ones this browser cannot read. */
export function unreadCount(entries: readonly ChatEntry[], lastReadId: number): number {
  let count = 0;
  for (const entry of entries) {
    if (entry.kind !== 'text' && entry.kind !== 'undecryptable') continue;
    if (entry.mine || entry.id === undefined || entry.id <= lastReadId) continue;
    count += 1;
  }
  return count;
}

/** The newest server id of the conversation (what the read mark moves up to). */
export function newestId(entries: readonly ChatEntry[]): number {
  let newest = 0;
  for (const entry of entries) if (entry.id !== undefined && entry.id > newest) newest = entry.id;
  return newest;
}

export const PREVIEW_CHARS = 80;

/** The newest message in one line: "You: …" for the user's own; empty when there is none. */
export function previewOf(entries: readonly ChatEntry[]): string {
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    const entry = entries[i];
    if (entry?.kind === 'undecryptable') return 'Encrypted message';
    if (entry?.kind !== 'text') continue;
    const line = entry.text.replace(/\s+/g, ' ').trim();
    const short = line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
    return entry.mine ? `You: ${short}` : short;
  }
  return '';
}

/** The tab title: the total unread first, as messengers do. */
export function titleFor(totalUnread: number): string {
  return totalUnread > 0 ? `(${totalUnread}) Parley` : 'Parley';
}
