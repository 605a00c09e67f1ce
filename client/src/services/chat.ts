/**
 * The chat service: binds the E2EE protocol (one `Conversation` per peer, its state in the
 * keystore) to the relay and the stored history, as docs/protocol.md's "API for the chat UI"
 * says. Every live message goes to `receive`; a conversation's stored history goes to
 * `decryptHistory` when it is opened; messages are de-duplicated by the server's id. Text
 * typed while there are no keys waits until the exchange completes. The UI reads entries and
 * is told when they change; it never touches keys.
 */
import type { Keystore } from '../keystore/index.js';
import {
  type Conversation,
  type CryptoLog,
  createConversation,
  type ReceiveOutcome,
} from '../protocol/index.js';
import type { ChatUser, StoredMessage } from './chat-api.js';
import type { RelayClient, RelayMessage } from './chat-relay.js';

export type ChatEntry =
  | {
      kind: 'text';
      key: string;
      id?: number;
      mine: boolean;
      text: string;
      at: string;
      /** queued: waiting for keys; sending: waiting for the server's ack. */
      state: 'queued' | 'sending' | 'sent' | 'failed';
      error?: string;
    }
  | { kind: 'keys-changed'; key: string; id?: number; mine: boolean; at: string }
  /** We hold no keys for this message's epoch (storage cleared, or another browser). */
  | { kind: 'undecryptable'; key: string; id: number; mine: boolean; at: string }
  /** Authentic but replayed or out of order, or failed the checks. */
  | { kind: 'flagged'; key: string; id: number; reason: 'replay' | 'invalid'; at: string };

export interface ChatServiceOptions {
  self: ChatUser;
  relay: RelayClient;
  keystore: Keystore;
  /**
   * One page of stored history (the latest when `before` is absent), in id order. `background`
   * marks a re-read the user did not ask for (after a reconnect): not session activity.
   */
  history(
    peerId: string,
    before: number | undefined,
    background: boolean,
  ): Promise<{ messages: StoredMessage[]; hasMore: boolean }>;
  now: () => number;
  log: CryptoLog;
  /** How many history pages opening a conversation reads at most. */
  maxHistoryPages?: number;
}

export interface ConversationView {
  readonly peerId: string;
  entries(): readonly ChatEntry[];
  loaded(): boolean;
  /** Older stored messages exist beyond what was read. */
  truncated(): boolean;
  /** Reads one more page of older history (when `truncated`). */
  loadEarlier(): Promise<void>;
  send(text: string): void;
  /** The Refresh button: new keys from the same secret, announced with a change message. */
  refresh(): Promise<'changed' | 'no-keys'>;
  subscribe(listener: () => void): () => void;
}

export interface ChatService {
  /** Opens a conversation: reads and decrypts its history once, then follows it live. */
  open(peerId: string): ConversationView;
  /** Told whenever a message arrives in any conversation (for the contact list). */
  onActivity(listener: (peerId: string) => void): () => void;
  close(): void;
}

interface PeerState {
  peerId: string;
  conversation: Conversation;
  entries: ChatEntry[];
  seen: Set<number>;
  loading: 'no' | 'loading' | 'done';
  truncated: boolean;
  /** The oldest stored message read so far. */
  oldestId?: number;
  /** Live frames that arrived while the history was loading. */
  buffered: RelayMessage[];
  /** Text entries waiting for keys, in order. */
  queue: Extract<ChatEntry, { kind: 'text' }>[];
  incoming: Promise<void>;
  outgoing: Promise<void>;
  listeners: Set<() => void>;
  view?: ConversationView;
}

/** How often queued text re-checks for keys (an offer nobody answered expires after 60 s). */
const RETRY_MS = 10_000;

export function createChatService(options: ChatServiceOptions): ChatService {
  const { self, relay, keystore, now, log } = options;
  const maxPages = options.maxHistoryPages ?? 5;
  const peers = new Map<string, PeerState>();
  const activity = new Set<(peerId: string) => void>();
  let localCounter = 0;

  const nowIso = () => new Date(now()).toISOString();
  /**
   * The next step of a conversation's incoming or outgoing queue. A step that throws (storage
   * full, a corrupt record) ends only itself: the queue stays usable for the steps after it.
   */
  const after = (queue: Promise<void>, step: () => Promise<void>): Promise<void> =>
    queue.then(step).catch(() => undefined);
  const notify = (state: PeerState) => {
    for (const listener of state.listeners) listener();
  };

  const peer = (peerId: string): PeerState => {
    let state = peers.get(peerId);
    if (!state) {
      state = {
        peerId,
        conversation: createConversation({
          self: self.id,
          peer: peerId,
          store: keystore.conversation(peerId),
          now,
          log,
        }),
        entries: [],
        seen: new Set(),
        loading: 'no',
        truncated: false,
        buffered: [],
        queue: [],
        incoming: Promise.resolve(),
        outgoing: Promise.resolve(),
        listeners: new Set(),
      };
      peers.set(peerId, state);
    }
    return state;
  };

  const sendProtocol = (state: PeerState, wire: string, onAck?: (id: number) => void) => {
    relay
      .send(state.peerId, wire)
      .then((ack) => {
        state.seen.add(ack.id);
        onAck?.(ack.id);
      })
      .catch(() => {
        // The relay refused it or the session ended; the status line says so.
      });
  };

  /** Turns one outcome into what the history shows, and does what it asks (send a reply). */
  const apply = (
    state: PeerState,
    outcome: ReceiveOutcome,
    message: StoredMessage,
    into: ChatEntry[] = state.entries,
  ) => {
    const key = `m${message.id}`;
    const base = { key, id: message.id, at: message.at };
    switch (outcome.kind) {
      case 'plaintext':
        into.push({
          ...base,
          kind: 'text',
          mine: outcome.from === self.id,
          text: outcome.text,
          state: 'sent',
        });
        break;
      case 'keys-changed':
        into.push({ ...base, kind: 'keys-changed', mine: outcome.by === self.id });
        break;
      case 'undecryptable':
        into.push({ ...base, kind: 'undecryptable', mine: outcome.from === self.id });
        break;
      case 'rejected-replay':
        into.push({ ...base, kind: 'flagged', reason: 'replay' });
        break;
      case 'invalid':
        into.push({ ...base, kind: 'flagged', reason: 'invalid' });
        break;
      case 'exchange-reply':
        sendProtocol(state, outcome.reply);
        pump(state);
        break;
      case 'exchange-complete':
        pump(state);
        break;
      case 'exchange-ignored':
        break;
    }
  };

  const receiveLive = (state: PeerState, message: RelayMessage) => {
    state.incoming = after(state.incoming, async () => {
      if (state.seen.has(message.id)) return;
      if (state.loading === 'loading') {
        state.buffered.push(message);
        return;
      }
      state.seen.add(message.id);
      apply(state, await state.conversation.receive(message.payload), message);
      notify(state);
    });
  };

  const load = (state: PeerState, background = false) => {
    state.loading = 'loading';
    state.incoming = after(state.incoming, async () => {
      try {
        await readHistory(state, background);
      } catch (error) {
        // Opening the conversation again retries; live messages are no longer held back.
        state.loading = 'no';
        state.buffered = [];
        throw error;
      }
    });
  };

  /** Reads up to maxPages of history, decrypts it, and replaces the entries with it. */
  const readHistory = async (state: PeerState, background: boolean) => {
    const stored: StoredMessage[] = [];
    let before: number | undefined;
    let hasMore = true;
    for (let page = 0; page < maxPages && hasMore; page += 1) {
      const result = await options.history(state.peerId, before, background).catch(() => undefined);
      if (!result) break;
      stored.unshift(...result.messages);
      hasMore = result.hasMore;
      before = result.messages[0]?.id;
      if (before === undefined) break;
    }
    state.truncated = hasMore;
    const oldest = stored[0]?.id;
    if (oldest === undefined) delete state.oldestId;
    else state.oldestId = oldest;
    const outcomes = await state.conversation.decryptHistory(stored.map((m) => m.payload));
    const local = state.entries.filter((entry) => entry.id === undefined);
    state.entries = [];
    state.seen = new Set(stored.map((m) => m.id));
    stored.forEach((message, i) => {
      const outcome = outcomes[i];
      if (outcome) apply(state, outcome, message);
    });
    state.entries.push(...local);
    state.loading = 'done';
    const buffered = state.buffered.splice(0);
    for (const message of buffered) {
      if (state.seen.has(message.id)) continue;
      state.seen.add(message.id);
      apply(state, await state.conversation.receive(message.payload), message);
    }
    notify(state);
  };

  /** Reads and decrypts the page of history before the oldest message shown. */
  const loadEarlier = (state: PeerState): Promise<void> => {
    const done = state.incoming.then(async () => {
      if (!state.truncated || state.loading !== 'done') return;
      const result = await options.history(state.peerId, state.oldestId, false);
      const fresh = result.messages.filter((m) => !state.seen.has(m.id));
      const outcomes = await state.conversation.decryptHistory(fresh.map((m) => m.payload));
      const earlier: ChatEntry[] = [];
      fresh.forEach((message, i) => {
        const outcome = outcomes[i];
        state.seen.add(message.id);
        if (outcome) apply(state, outcome, message, earlier);
      });
      state.entries = [...earlier, ...state.entries];
      state.truncated = result.hasMore;
      const oldest = result.messages[0]?.id;
      if (oldest !== undefined) state.oldestId = oldest;
      notify(state);
    });
    state.incoming = done.catch(() => undefined);
    return done;
  };

  /** Sends queued text in order; when there are no keys, starts (or waits for) an exchange. */
  const pump = (state: PeerState) => {
    state.outgoing = after(state.outgoing, async () => {
      while (state.queue.length > 0) {
        const entry = state.queue[0] as Extract<ChatEntry, { kind: 'text' }>;
        const out = await state.conversation.encrypt(entry.text);
        if (out.kind === 'no-keys') {
          if (!out.exchangePending) {
            const started = await state.conversation.startKeyExchange();
            if (started.kind === 'offer') sendProtocol(state, started.offer);
          }
          return;
        }
        state.queue.shift();
        if (out.kind === 'too-long') {
          entry.state = 'failed';
          entry.error = `Too long: at most ${out.maxBytes} bytes.`;
          notify(state);
          continue;
        }
        entry.state = 'sending';
        notify(state);
        relay
          .send(state.peerId, out.wire)
          .then((ack) => {
            state.seen.add(ack.id);
            entry.id = ack.id;
            entry.at = ack.at;
            entry.state = 'sent';
          })
          .catch((error: unknown) => {
            entry.state = 'failed';
            entry.error = error instanceof Error ? error.message : 'Not sent.';
          })
          .finally(() => notify(state));
      }
    });
  };

  const retry = setInterval(() => {
    for (const state of peers.values()) if (state.queue.length > 0) pump(state);
  }, RETRY_MS);

  const stopRelay = relay.onMessage((message) => {
    const peerId =
      message.from === self.id ? message.to : message.to === self.id ? message.from : undefined;
    if (peerId === undefined || peerId === self.id) return;
    receiveLive(peer(peerId), message);
    for (const listener of activity) listener(peerId);
  });

  // After a reconnect, what arrived meanwhile is in the history: read it again.
  let wasOffline = false;
  const stopStatus = relay.onStatus((status) => {
    if (status === 'offline') wasOffline = true;
    if (status === 'open' && wasOffline) {
      wasOffline = false;
      for (const state of peers.values()) if (state.loading === 'done') load(state, true);
    }
  });

  const viewOf = (state: PeerState): ConversationView => {
    state.view ??= {
      peerId: state.peerId,
      entries: () => state.entries,
      loaded: () => state.loading === 'done',
      truncated: () => state.truncated,
      loadEarlier: () => loadEarlier(state),
      send(text) {
        localCounter += 1;
        const entry: Extract<ChatEntry, { kind: 'text' }> = {
          kind: 'text',
          key: `local${localCounter}`,
          mine: true,
          text,
          at: nowIso(),
          state: 'queued',
        };
        state.entries.push(entry);
        state.queue.push(entry);
        notify(state);
        pump(state);
      },
      refresh() {
        const done = state.outgoing.then(async () => {
          const outcome = await state.conversation.refreshKeys();
          if (outcome.kind === 'no-keys') return 'no-keys' as const;
          localCounter += 1;
          const entry: ChatEntry = {
            kind: 'keys-changed',
            key: `local${localCounter}`,
            mine: true,
            at: nowIso(),
          };
          state.entries.push(entry);
          notify(state);
          sendProtocol(state, outcome.change, (id) => {
            entry.id = id;
          });
          return 'changed' as const;
        });
        state.outgoing = done.then(
          () => undefined,
          () => undefined,
        );
        return done;
      },
      subscribe(listener) {
        state.listeners.add(listener);
        return () => state.listeners.delete(listener);
      },
    };
    return state.view;
  };

  return {
    open(peerId) {
      const state = peer(peerId);
      if (state.loading === 'no') load(state);
      return viewOf(state);
    },
    onActivity(listener) {
      activity.add(listener);
      return () => activity.delete(listener);
    },
    close() {
      clearInterval(retry);
      stopRelay();
      stopStatus();
      for (const state of peers.values()) state.listeners.clear();
    },
  };
}
