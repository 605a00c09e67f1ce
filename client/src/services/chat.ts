/**
 * The chat service: binds the E2EE protocol (one `Conversation` per peer, its state in the
 * keystore) to the relay, the stored history and the outbox, as docs/protocol.md's "API for the
 * chat UI" says. Every live message goes to `receive`; a conversation's stored history goes to
 * `decryptHistory` when it is opened (and again after a reconnect); the timeline (timeline.ts)
 * turns outcomes into entries and merges. The outbox (outbox.ts) keeps what the user typed
 * until the server acknowledges it; sends of one conversation hold a cross-tab lock from
 * reserving their counters until their acks, so the tabs of one browser reach the relay in
 * counter order. The UI reads entries and is told when they change; it never touches keys.
 */
import { refusedForSessionEnd } from '../../../contract/relay.js';
import { createMemoryLocks, type Keystore, type LockManagerLike } from '../keystore/index.js';
import {
  type Conversation,
  type CryptoLog,
  createConversation,
  type ReceiptMarks,
  type ReceiptState,
  type ReceiveOutcome,
} from '../protocol/index.js';
import type { ChatUser, StoredMessage } from './chat-api.js';
import { type RelayClient, type RelayMessage, RelayRefusedError } from './chat-relay.js';
import {
  createMemoryOutboxStorage,
  createMemoryPresence,
  createOutbox,
  type Outbox,
  type OutboxItem,
} from './outbox.js';
import {
  applyReceipts,
  type ChatEntry,
  entryFor,
  mergeHistory,
  newestFromPeer,
  ordered,
  storedTexts,
  type TextEntry,
} from './timeline.js';

export type { ChatEntry } from './timeline.js';

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
  /** Where unacknowledged texts wait (IndexedDB in the browser); one in memory by default. */
  outbox?: Outbox;
  /** Cross-tab locks (`webLocks(navigator.locks)`) that serialise a conversation's sends. */
  sendLocks?: LockManagerLike;
  /** A fresh client message id: `crypto.randomUUID()` by default. */
  newId?: () => string;
  /** How often texts waiting for keys, and other tabs' orphaned texts, are looked at again. */
  retryMs?: number;
  /** How long receipts owed wait to be sent together (a burst of messages, one receipt). */
  receiptDelayMs?: number;
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
  /** Sends again a text the server refused for good (its entry's key). */
  retry(key: string): void;
  /** The Refresh button: new keys from the same secret, announced with a change message. */
  refresh(): Promise<'changed' | 'no-keys'>;
  /**
   * The conversation is shown in a visible, focused page: tells the peer (a read receipt) that
   * its messages up to the newest shown were read. The page does not call it when the user
   * turned read receipts off; delivered receipts flow regardless.
   */
  markRead(): void;
  subscribe(listener: () => void): () => void;
}

export interface ChatService {
  /** Opens a conversation: reads and decrypts its history once, then follows it live. */
  open(peerId: string): ConversationView;
  /** Told whenever a message arrives in any conversation (for the contact list). */
  onActivity(listener: (peerId: string) => void): () => void;
  /** Told of each text from a peer that arrived live and was decrypted (for notifications). */
  onIncomingText(listener: (peerId: string, entry: TextEntry) => void): () => void;
  /** Resolves once the texts left by closed or reloaded tabs were taken over (at start). */
  restored(): Promise<void>;
  close(): void;
}

interface Outgoing {
  item: OutboxItem;
  entry: TextEntry;
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
  /** The user's texts not acknowledged yet, by client message id. */
  outgoing: Map<string, Outgoing>;
  /** A send batch holds (or waits for) the conversation's send lock; `again`: run one more. */
  pumping: boolean;
  again: boolean;
  incoming: Promise<void>;
  listeners: Set<() => void>;
  view?: ConversationView;
  /** What the peer's receipts said of our messages (persisted by the protocol, raised live). */
  marks: ReceiptMarks;
  /** Receipts to send, by state: the newest peer message id each covers. */
  due: Partial<Record<ReceiptState, number>>;
  /** What this tab asked for or saw another tab say already: not asked again. */
  asked: ReceiptMarks;
  /** This page's "Keys changed" notices whose change the relay has not acknowledged, by client id. */
  changeEntries: Map<string, ChatEntry>;
  /** A receipt batch holds (or waits for) the send lock; `receiptsAgain`: run one more. */
  receipting: boolean;
  receiptsAgain: boolean;
  /** A batch of receipts is waiting for RECEIPT_DELAY_MS. */
  receiptTimer?: ReturnType<typeof setTimeout>;
}

/** How often queued text re-checks for keys (an offer nobody answered expires after 60 s). */
const RETRY_MS = 10_000;
/** When a page that just opened looks again for the texts of a page that is gone. */
const ADOPT_AGAIN_MS = [250, 1_000, 3_000];
/** Receipts owed within this go as one: a burst or a history read costs one receipt per state. */
const RECEIPT_DELAY_MS = 300;

export function createChatService(options: ChatServiceOptions): ChatService {
  const { self, relay, keystore, now, log } = options;
  const maxPages = options.maxHistoryPages ?? 5;
  const receiptDelayMs = options.receiptDelayMs ?? RECEIPT_DELAY_MS;
  const sendLocks = options.sendLocks ?? createMemoryLocks();
  const newId = options.newId ?? (() => crypto.randomUUID());
  const outbox =
    options.outbox ??
    createOutbox({
      storage: createMemoryOutboxStorage(),
      presence: createMemoryPresence().tab('this'),
      userId: self.id,
      now,
    });
  const peers = new Map<string, PeerState>();
  const activity = new Set<(peerId: string) => void>();
  const incomingTexts = new Set<(peerId: string, entry: TextEntry) => void>();
  let localCounter = 0;
  let closed = false;

  const nowIso = () => new Date(now()).toISOString();
  const sendLockName = (peerId: string) => `parley:v1:${self.id}:send:${peerId}`;
  /**
   * The next step of a conversation's incoming queue. A step that throws (storage full, a
   * corrupt record) ends only itself: the queue stays usable for the steps after it.
   */
  const after = (queue: Promise<void>, step: () => Promise<void>): Promise<void> =>
    queue.then(step).catch(() => undefined);
  const notify = (state: PeerState) => {
    for (const listener of state.listeners) listener();
  };
  const place = (state: PeerState, entry: ChatEntry) => {
    state.entries = ordered([...state.entries, entry]);
  };

  const peer = (peerId: string): PeerState => {
    let state = peers.get(peerId);
    if (!state) {
      const conversation = createConversation({
        self: self.id,
        peer: peerId,
        store: keystore.conversation(peerId),
        now,
        log,
      });
      state = {
        peerId,
        conversation,
        entries: [],
        seen: new Set(),
        loading: 'no',
        truncated: false,
        buffered: [],
        outgoing: new Map(),
        pumping: false,
        again: false,
        incoming: Promise.resolve(),
        listeners: new Set(),
        marks: conversation.receiptMarks(),
        due: {},
        asked: { delivered: 0, read: 0 },
        receipting: false,
        receiptsAgain: false,
        changeEntries: new Map(),
      };
      peers.set(peerId, state);
    }
    return state;
  };

  const sendProtocol = (state: PeerState, wire: string) => {
    relay
      .send(state.peerId, wire)
      .then((ack) => {
        state.seen.add(ack.id);
        // The protocol settles two answers to one offer by the relay's order (a key-exchange
        // reply's id) and drops a pending offer a later reply overtook (the offer's id).
        return state.conversation.acknowledged(ack.storedPayload ?? wire, ack.id);
      })
      .catch(() => {
        // The relay refused it or the session ended; the status line says so.
      });
  };

  /** The user's own "Keys changed" notice, before the relay stored the change (no id yet). */
  const placeKeysChanged = (state: PeerState, id?: number, at?: string): ChatEntry => {
    localCounter += 1;
    const entry: ChatEntry = {
      kind: 'keys-changed',
      key: `local${localCounter}`,
      mine: true,
      at: at ?? nowIso(),
      ...(id === undefined ? {} : { id }),
    };
    place(state, entry);
    notify(state);
    return entry;
  };

  /**
   * Under the send lock: the change messages of this browser's Refreshes that the relay has not
   * acknowledged (the page closed first, or the ack was lost) go first, in order and under
   * their client ids (stored once), so nothing under their epochs reaches the peer before them.
   * False when one could not be sent now (the page closes, the session ended): nothing else
   * may go then either.
   */
  const storeChanges = async (state: PeerState): Promise<boolean> => {
    for (const change of await state.conversation.unstoredChanges()) {
      const ack = await relay
        .send(state.peerId, change.wire, change.clientMessageId)
        .catch(() => undefined);
      if (!ack) return false;
      await state.conversation
        .acknowledged(ack.storedPayload ?? change.wire, ack.id)
        .catch(() => undefined);
      // This page's own notice of it gets its place; a change of an earlier page gets one.
      const local = state.changeEntries.get(change.clientMessageId);
      state.changeEntries.delete(change.clientMessageId);
      if (local) {
        local.id = ack.id;
        local.at = ack.at;
        state.entries = ordered(state.entries);
        notify(state);
      } else if (!state.seen.has(ack.id)) {
        placeKeysChanged(state, ack.id, ack.at);
      }
      state.seen.add(ack.id);
    }
    return true;
  };

  /** Sends what waits (texts, changes, receipts) when anything does; the retry round's check. */
  const sendWaiting = async (state: PeerState) => {
    const changes = await state.conversation.unstoredChanges().catch(() => []);
    if (outbox.queue(state.peerId).length > 0 || changes.length > 0) pump(state);
    if (state.due.read !== undefined || state.due.delivered !== undefined) sendReceipts(state);
  };

  /** Turns one outcome into what the history shows, and does what it asks (send a reply). */
  const apply = (
    state: PeerState,
    outcome: ReceiveOutcome,
    message: StoredMessage,
    into?: ChatEntry[],
  ): ChatEntry | undefined => {
    const entry = entryFor(outcome, message, self.id);
    if (entry) {
      if (into) into.push(entry);
      else place(state, entry);
    }
    if (outcome.kind === 'exchange-reply') {
      sendProtocol(state, outcome.reply);
      pump(state);
    } else if (outcome.kind === 'exchange-complete') {
      pump(state);
    } else if (outcome.kind === 'keys-reset') {
      if (outcome.reply !== undefined) sendProtocol(state, outcome.reply);
      pump(state);
    } else if (outcome.kind === 'rekey') {
      sendProtocol(state, outcome.offer);
    } else if (outcome.kind === 'undecryptable' && outcome.offer !== undefined) {
      // A recovery: we held keys the sender does not share, and a new exchange starts.
      sendProtocol(state, outcome.offer);
    } else if (outcome.kind === 'receipt') {
      // The peer's, about our texts; or ours (another tab, an earlier visit): said already.
      const marks = outcome.from === state.peerId ? state.marks : state.asked;
      marks[outcome.state] = Math.max(marks[outcome.state], outcome.upTo);
    }
    return entry;
  };

  /**
   * After messages were read (live or history): our texts take the state the peer's receipts
   * say, and the peer's texts decrypted here are acknowledged (delivered) in one receipt.
   */
  const settle = (state: PeerState) => {
    applyReceipts(state.entries, state.marks);
    owe(state, 'delivered', newestFromPeer(state.entries));
  };

  /** Owes the peer a receipt for its messages up to `upTo` (the protocol drops what was said). */
  const owe = (state: PeerState, kind: ReceiptState, upTo: number) => {
    const { asked } = state;
    if (upTo <= asked[kind] || (kind === 'delivered' && upTo <= asked.read)) return;
    asked[kind] = upTo;
    state.due[kind] = upTo;
    if (state.receiptTimer !== undefined) return;
    state.receiptTimer = setTimeout(() => {
      delete state.receiptTimer;
      sendReceipts(state);
    }, receiptDelayMs);
  };

  /**
   * Sends the receipts owed, under the send lock like a chat message (a receipt takes a counter):
   * read first, which covers delivered up to the same id. Never acknowledged with receipts.
   */
  const sendReceipts = (state: PeerState) => {
    if (closed) return;
    if (state.receipting) {
      state.receiptsAgain = true;
      return;
    }
    state.receipting = true;
    state.receiptsAgain = false;
    void sendLocks
      .request(sendLockName(state.peerId), async () => {
        if (!(await storeChanges(state))) return;
        for (const kind of ['read', 'delivered'] as const) {
          const upTo = state.due[kind];
          if (upTo === undefined) continue;
          delete state.due[kind];
          const out = await state.conversation.encryptReceipt(kind, upTo);
          if (out.kind !== 'encrypted') continue;
          const ack = await relay.send(state.peerId, out.wire).catch(() => undefined);
          if (!ack) continue;
          state.seen.add(ack.id);
          await state.conversation
            .acknowledged(ack.storedPayload ?? out.wire, ack.id)
            .catch(() => undefined);
        }
      })
      .catch(() => undefined)
      .finally(() => {
        state.receipting = false;
        if (state.receiptsAgain) sendReceipts(state);
      });
  };

  const receiveLive = (state: PeerState, message: RelayMessage) => {
    state.incoming = after(state.incoming, async () => {
      if (state.seen.has(message.id)) return;
      if (state.loading === 'loading') {
        state.buffered.push(message);
        return;
      }
      state.seen.add(message.id);
      const entry = apply(
        state,
        await state.conversation.receive(message.payload, message.id),
        message,
      );
      settle(state);
      notify(state);
      if (entry?.kind === 'text' && !entry.mine) {
        for (const listener of incomingTexts) listener(state.peerId, entry);
      }
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

  /** Reads up to maxPages of history, decrypts it, and merges it into the entries. */
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
    const oldest = stored[0]?.id;
    // A re-read after a reconnect keeps what "Load earlier messages" added before.
    if (state.oldestId === undefined || oldest === undefined || oldest <= state.oldestId) {
      state.truncated = hasMore;
      if (oldest === undefined) delete state.oldestId;
      else state.oldestId = oldest;
    }
    const outcomes = await state.conversation.decryptHistory(stored);
    const history: ChatEntry[] = [];
    stored.forEach((message, i) => {
      const outcome = outcomes[i];
      state.seen.add(message.id);
      if (outcome) apply(state, outcome, message, history);
    });
    forgetStored(state, history);
    state.entries = mergeHistory(state.entries, history);
    state.loading = 'done';
    // A Refresh of an earlier page whose change was never acknowledged: it goes now.
    void sendWaiting(state);
    const buffered = state.buffered.splice(0);
    for (const message of buffered) {
      if (state.seen.has(message.id)) continue;
      state.seen.add(message.id);
      apply(state, await state.conversation.receive(message.payload, message.id), message);
    }
    settle(state);
    notify(state);
  };

  /** Reads and decrypts the page of history before the oldest message shown. */
  const loadEarlier = (state: PeerState): Promise<void> => {
    const done = state.incoming.then(async () => {
      if (!state.truncated || state.loading !== 'done') return;
      const result = await options.history(state.peerId, state.oldestId, false);
      const fresh = result.messages.filter((m) => !state.seen.has(m.id));
      const outcomes = await state.conversation.decryptHistory(fresh);
      const earlier: ChatEntry[] = [];
      fresh.forEach((message, i) => {
        const outcome = outcomes[i];
        state.seen.add(message.id);
        if (outcome) apply(state, outcome, message, earlier);
      });
      state.entries = ordered([...earlier, ...state.entries]);
      applyReceipts(state.entries, state.marks);
      state.truncated = result.hasMore;
      const oldest = result.messages[0]?.id;
      if (oldest !== undefined) state.oldestId = oldest;
      notify(state);
    });
    state.incoming = done.catch(() => undefined);
    return done;
  };

  /**
   * Texts of the outbox that `entries` (read from history) show stored, under their client id:
   * a page gone stored them and lost the ack. They are done; nothing more needs to go (a resend
   * on its way is stored once), and the stored copy is the one shown.
   */
  const forgetStored = (state: PeerState, entries: readonly ChatEntry[]) => {
    const stored = storedTexts(entries);
    for (const [clientMessageId, outgoing] of state.outgoing) {
      if (!stored.has(outgoing.entry)) continue;
      state.outgoing.delete(clientMessageId);
      outbox.done(outgoing.item);
    }
  };

  /** Shows an outbox item as the user's own entry (typed here, or taken over from a tab gone). */
  const track = (state: PeerState, item: OutboxItem): TextEntry => {
    const entry: TextEntry = {
      kind: 'text',
      key: item.clientMessageId,
      clientMessageId: item.clientMessageId,
      mine: true,
      text: item.text,
      at: new Date(item.createdAt).toISOString(),
      state: item.failed
        ? 'failed'
        : state.conversation.status().state === 'ready'
          ? 'sending'
          : 'queued',
      ...(item.failed ? { error: item.failed } : {}),
    };
    state.outgoing.set(item.clientMessageId, { item, entry });
    place(state, entry);
    return entry;
  };

  /**
   * Sends the conversation's outbox, in order, while holding its cross-tab send lock: counters
   * are reserved (encrypt) and every frame is acknowledged before another tab may reserve one,
   * so the relay receives this browser's counters in order. One lock grant sends the whole
   * queue at once (the relay client pipelines it), so a burst costs one round of acks.
   */
  const pump = (state: PeerState) => {
    if (closed) return;
    if (state.pumping) {
      state.again = true;
      return;
    }
    state.pumping = true;
    state.again = false;
    void sendLocks
      .request(sendLockName(state.peerId), () => sendBatch(state))
      .catch(() => undefined)
      .finally(() => {
        state.pumping = false;
        if (state.again) pump(state);
      });
  };

  const sendBatch = async (state: PeerState) => {
    // A text is encrypted under the newest epoch: the change into it must be stored first.
    if (!(await storeChanges(state))) return;
    const acks: Promise<void>[] = [];
    try {
      for (const item of outbox.queue(state.peerId)) {
        const outgoing = state.outgoing.get(item.clientMessageId);
        if (!outgoing) continue;
        const { entry } = outgoing;
        const out = await state.conversation.encrypt(item.text);
        if (out.kind === 'no-keys') {
          if (!out.exchangePending) {
            const started = await state.conversation.startKeyExchange();
            if (started.kind === 'offer') sendProtocol(state, started.offer);
          }
          break;
        }
        if (out.kind === 'too-long') {
          fail(state, outgoing, `Too long: at most ${out.maxBytes} bytes.`);
          continue;
        }
        // The history showed it stored while it was being encrypted: nothing to send.
        if (state.outgoing.get(item.clientMessageId) !== outgoing) continue;
        outbox.encrypted(item, out.wire);
        entry.wire = out.wire;
        entry.state = 'sending';
        notify(state);
        acks.push(
          relay.send(state.peerId, out.wire, item.clientMessageId).then(
            async (ack) => {
              // A resend of a text stored before (its ack lost with a closed page) was
              // encrypted again here; the conversation holds the first copy, so that one is
              // what this browser accepted under the id, or its history read takes the
              // stored copy for a replay of this one.
              const stored = ack.storedPayload ?? out.wire;
              entry.wire = stored;
              // Before the send lock is released: the other tabs' copies of the relay's echo
              // then find this message accepted by this browser (docs/protocol.md).
              await state.conversation.acknowledged(stored, ack.id).catch(() => undefined);
              state.outgoing.delete(item.clientMessageId);
              outbox.done(item);
              state.seen.add(ack.id);
              entry.id = ack.id;
              entry.at = ack.at;
              entry.state = 'sent';
              state.entries = ordered(state.entries);
              applyReceipts(state.entries, state.marks);
              notify(state);
            },
            (error: unknown) => {
              // Refused for good: "not sent", with Retry. The session ending or the page
              // closing is no refusal: the text stays in the outbox for the next page.
              // Nor is a resend of a text the history showed stored meanwhile (done).
              if (state.outgoing.get(item.clientMessageId) !== outgoing) return;
              if (error instanceof RelayRefusedError && !refusedForSessionEnd(error.code)) {
                fail(state, outgoing, error.message);
              }
            },
          ),
        );
      }
    } finally {
      await Promise.all(acks);
    }
  };

  const fail = (state: PeerState, outgoing: Outgoing, reason: string) => {
    outbox.failed(outgoing.item, reason);
    delete outgoing.entry.wire;
    outgoing.entry.state = 'failed';
    outgoing.entry.error = reason;
    notify(state);
  };

  /** Takes over the texts of tabs that are gone and sends them. */
  const adopt = async () => {
    const adopted = await outbox.adoptOrphans().catch(() => []);
    const touched = new Set<PeerState>();
    const storedIn = new Map<PeerState, ReturnType<typeof storedTexts>>();
    for (const item of adopted) {
      const state = peer(item.peerId);
      const stored = storedIn.get(state) ?? storedTexts(state.entries);
      storedIn.set(state, stored);
      // Taken over after the history was read, which shows it stored already: done.
      if (stored.has(item)) {
        outbox.done(item);
        continue;
      }
      track(state, item);
      touched.add(state);
    }
    for (const state of touched) {
      notify(state);
      pump(state);
    }
  };
  const restoring = adopt();
  // Look again soon rather than only at the next retry round, should the page before still
  // hold its presence lock for a moment.
  const lookAgain = ADOPT_AGAIN_MS.map((ms) => setTimeout(() => void adopt(), ms));

  const retry = setInterval(() => {
    void adopt();
    for (const state of peers.values()) void sendWaiting(state);
  }, options.retryMs ?? RETRY_MS);

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
        track(state, outbox.add(state.peerId, text, newId()));
        notify(state);
        pump(state);
      },
      retry(key) {
        const outgoing = state.outgoing.get(key);
        if (outgoing === undefined) return;
        if (outgoing.entry.state !== 'failed') return;
        outbox.retry(outgoing.item);
        const { entry } = outgoing;
        delete entry.error;
        entry.state = state.conversation.status().state === 'ready' ? 'sending' : 'queued';
        // Back to the end: it goes out after what was sent meanwhile.
        state.entries = [...state.entries.filter((e) => e !== entry), entry];
        notify(state);
        pump(state);
      },
      refresh() {
        // Under the send lock: the change message goes after every message of the old keys
        // and before any under the new ones, from every tab.
        return sendLocks.request(sendLockName(state.peerId), async () => {
          if (!(await storeChanges(state))) {
            throw new Error('An earlier key change could not be sent yet.');
          }
          const outcome = await state.conversation.refreshKeys();
          if (outcome.kind === 'no-keys') return 'no-keys' as const;
          state.changeEntries.set(outcome.clientMessageId, placeKeysChanged(state));
          // Sent now, or (offline until the page closes) by the next page, before anything else.
          await storeChanges(state);
          return 'changed' as const;
        });
      },
      markRead() {
        if (state.loading === 'done') owe(state, 'read', newestFromPeer(state.entries));
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
    onIncomingText(listener) {
      incomingTexts.add(listener);
      return () => incomingTexts.delete(listener);
    },
    restored: () => restoring,
    close() {
      closed = true;
      clearInterval(retry);
      for (const timer of lookAgain) clearTimeout(timer);
      for (const state of peers.values()) clearTimeout(state.receiptTimer);
      stopRelay();
      stopStatus();
      for (const state of peers.values()) state.listeners.clear();
    },
  };
}
