/**
 * The timeline of one conversation, as the chat page shows it: pure functions from protocol
 * outcomes and stored messages to entries, de-duplication, and the merge of a re-read history
 * with what is already shown. No I/O, no timers: the chat service calls these and renders.
 *
 * Order: entries the server has placed (they have its id) in id order, then the user's own
 * entries not acknowledged yet, in the order they were typed. One entry per server id.
 */
import type { ReceiptMarks, ReceiveOutcome } from '../protocol/index.js';
import type { StoredMessage } from './chat-api.js';

export type ChatEntry =
  | {
      kind: 'text';
      key: string;
      id?: number;
      mine: boolean;
      text: string;
      at: string;
      /** queued: waiting for keys; sending: on its way (retried until acknowledged). */
      state: 'queued' | 'sending' | 'sent' | 'failed';
      /**
       * Of our own stored text, what the peer's receipts said (docs/protocol.md, "Receipts"):
       * a browser of the peer decrypted it (delivered), or showed it in a visible, focused
       * conversation (read). Absent: only sent.
       */
      receipt?: 'delivered' | 'read';
      error?: string;
      /** Our own message's protocol message as stored: matches a history entry to it. */
      wire?: string;
      /** Our own text's client message id (chosen when typed): matches its stored copy. */
      clientMessageId?: string;
    }
  | { kind: 'keys-changed'; key: string; id?: number; mine: boolean; at: string }
  /** A new key exchange replaced the conversation's keys (not a Refresh); `mine`: we started it. */
  | { kind: 'keys-reset'; key: string; id: number; mine: boolean; at: string }
  /** We hold no keys for this message's epoch (storage cleared, or another browser). */
  | { kind: 'undecryptable'; key: string; id: number; mine: boolean; at: string }
  /** Authentic but replayed or out of order, or failed the checks. */
  | { kind: 'flagged'; key: string; id: number; reason: 'replay' | 'invalid'; at: string };

export type TextEntry = Extract<ChatEntry, { kind: 'text' }>;

/** What one stored (or live) message shows, or undefined for protocol traffic (exchanges). */
export function entryFor(
  outcome: ReceiveOutcome,
  message: StoredMessage,
  selfId: string,
): ChatEntry | undefined {
  const base = { key: `m${message.id}`, id: message.id, at: message.at };
  switch (outcome.kind) {
    case 'plaintext': {
      const mine = outcome.from === selfId;
      return {
        ...base,
        kind: 'text',
        mine,
        text: outcome.text,
        state: 'sent',
        ...(mine ? { wire: message.payload, clientMessageId: message.clientMessageId } : {}),
      };
    }
    case 'keys-changed':
      return { ...base, kind: 'keys-changed', mine: outcome.by === selfId };
    case 'keys-reset':
      return { ...base, kind: 'keys-reset', mine: outcome.by === selfId };
    case 'undecryptable':
      // A receipt under keys this browser lost is no message the reader missed.
      if (outcome.receiptSized) return undefined;
      return { ...base, kind: 'undecryptable', mine: outcome.from === selfId };
    case 'rejected-replay':
      return { ...base, kind: 'flagged', reason: 'replay' };
    case 'invalid':
      return { ...base, kind: 'flagged', reason: 'invalid' };
    default:
      return undefined;
  }
}

/**
 * What the peer's receipts say of our own stored message `id`: read, delivered, or only sent.
 * A receipt covers every message up to its relay id; read implies delivered.
 */
export function receiptState(id: number, marks: ReceiptMarks): 'sent' | 'delivered' | 'read' {
  if (id <= marks.read) return 'read';
  return id <= marks.delivered ? 'delivered' : 'sent';
}

/**
 * Gives our own stored texts the receipt state the marks say (in place: the outbox updates the
 * same entry objects); whether any changed. Texts still on their way or refused have none.
 */
export function applyReceipts(entries: readonly ChatEntry[], marks: ReceiptMarks): boolean {
  let changed = false;
  for (const entry of entries) {
    if (entry.kind !== 'text' || !entry.mine || entry.id === undefined) continue;
    if (entry.state !== 'sent') continue;
    const next = receiptState(entry.id, marks);
    if (next === (entry.receipt ?? 'sent')) continue;
    if (next === 'sent') delete entry.receipt;
    else entry.receipt = next;
    changed = true;
  }
  return changed;
}

/** The newest relay id of a message from the peer shown as text: what a receipt acknowledges. */
export function newestFromPeer(entries: readonly ChatEntry[]): number {
  let newest = 0;
  for (const entry of entries) {
    if (entry.kind === 'text' && !entry.mine && entry.id !== undefined && entry.id > newest) {
      newest = entry.id;
    }
  }
  return newest;
}

/**
 * The timeline order: placed entries by server id (the first of each id wins), then the
 * unplaced ones as they come. Keeps every entry object as it is (the outbox updates its own).
 */
export function ordered(entries: readonly ChatEntry[]): ChatEntry[] {
  const placed = new Map<number, ChatEntry>();
  const unplaced: ChatEntry[] = [];
  for (const entry of entries) {
    if (entry.id === undefined) unplaced.push(entry);
    else if (!placed.has(entry.id)) placed.set(entry.id, entry);
  }
  return [...[...placed.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)), ...unplaced];
}

/**
 * Tells whether one of our own texts not acknowledged yet is among the stored ones of
 * `entries` (those with a server id): the same wire, or the same client message id.
 */
export function storedTexts(entries: readonly ChatEntry[]): {
  has(text: { wire?: string; clientMessageId?: string }): boolean;
} {
  const wires = new Set<string>();
  const clientIds = new Set<string>();
  for (const entry of entries) {
    if (entry.kind !== 'text' || !entry.mine || entry.id === undefined) continue;
    if (entry.wire) wires.add(entry.wire);
    if (entry.clientMessageId) clientIds.add(entry.clientMessageId);
  }
  return {
    has: (text) =>
      (text.wire !== undefined && wires.has(text.wire)) ||
      (text.clientMessageId !== undefined && clientIds.has(text.clientMessageId)),
  };
}

/**
 * Merges a freshly read history into what is shown. History is the truth for the ids it
 * holds; everything else shown stays: messages placed while the request was in flight (their
 * ack or delivery came after the server answered), older pages read earlier, and the user's
 * own entries still on their way, unless history shows that message stored already: the same
 * wire, or the same client message id (a text of a page gone, encrypted again here while its
 * first copy was stored).
 */
export function mergeHistory(
  current: readonly ChatEntry[],
  history: readonly ChatEntry[],
): ChatEntry[] {
  const ids = new Set(history.map((entry) => entry.id));
  const stored = storedTexts(history);
  const kept = current.filter((entry) =>
    entry.id !== undefined ? !ids.has(entry.id) : !(entry.kind === 'text' && stored.has(entry)),
  );
  return ordered([...history, ...kept]);
}
