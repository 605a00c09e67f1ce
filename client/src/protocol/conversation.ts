/**
 * The conversation state machine between the signed-in user (`self`) and one peer:
 *
 *   no keys ──startKeyExchange──▶ exchanging ──reply──▶ ready ──refreshKeys──▶ (refreshing) ──▶ ready
 *      ▲                                                  │
 *      └── storage cleared             peer's offer ──────┘ (re-key: a fresh exchange, any state)
 *
 * Every method reads the persisted record under the store's cross-tab lock, works on it and
 * lets the store persist it; nothing is cached between calls except imported CryptoKeys, which
 * are content-addressed and never change. Expected outcomes come back as tagged values; a
 * message that fails any check comes back as `{ kind: 'invalid' }` with no detail.
 *
 * A stored message is processed once per browser, keyed by the relay's id: another tab's copy
 * of a delivery already accepted comes back as plaintext flagged `alreadyAccepted`, never as a
 * replay. An exchange cannot wedge (docs/protocol.md, "An exchange that cannot wedge"): no
 * offer is answered twice by one user, a second answer to one offer is settled by the relay's
 * order, and a message that fails its MAC under keys its sender may not share starts a new
 * exchange instead of a dead end.
 */
import { signChange, verifyChangeMac } from './change.js';
import {
  KEY_EXCHANGE_MAX_AGE_MS,
  KEY_EXCHANGE_MAX_FUTURE_MS,
  MAX_PLAINTEXT_BYTES,
  MAX_SALT,
  UNSTORED_CHANGES_KEPT,
} from './constants.js';
import { type CryptoLog, silentCryptoLog } from './crypto-log.js';
import { deliveryOf, noteExchange, rememberDelivery } from './deliveries.js';
import { deriveEpochKeys, type EpochKeys } from './derive.js';
import { deriveSharedSecret, exchangeId, generateKeyPair, type KeyPair } from './ecdh.js';
import { type Bytes, fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { AuthenticationError } from './errors.js';
import {
  counterOf,
  type DirectionKeyHandles,
  decryptPayload,
  importDirectionKeys,
  sealMessage,
  verifyMessageMac,
} from './message-crypto.js';
import {
  covered,
  decodeReceipt,
  encodeReceipt,
  RECEIPT_BYTES,
  type ReceiptMarks,
  type ReceiptState,
  raiseMark,
} from './receipts.js';
import {
  type ChangeMessage,
  type ChatMessage,
  isUserId,
  type KeyOffer,
  type KeyReply,
  type ProtocolMessage,
  parseMessage,
  serializeMessage,
} from './schema.js';
import {
  type ConversationRecord,
  type ConversationStore,
  type EpochRecord,
  type EpochRef,
  type ExchangeRecord,
  epochKey,
  type StoredDirectionKeys,
  type StoredKeyPair,
} from './state.js';

/** What feeding one received (or stored) network message in produces. */
export type ReceiveOutcome =
  /**
   * A chat message, authentic, in order, decrypted. `from` may be self (own message, history).
   * `alreadyAccepted`: this browser accepted this stored message before (another tab, an earlier
   * read); show it once, by its relay id.
   */
  | {
      kind: 'plaintext';
      from: string;
      text: string;
      epoch: EpochRef;
      counter: number;
      alreadyAccepted?: true;
    }
  /**
   * A receipt (docs/protocol.md, "Receipts"), authentic and in order: the peer's browser
   * decrypted (`delivered`) or showed (`read`) our messages up to relay id `upTo`, or, `from`
   * self, another tab of ours (or an earlier visit) said so. Never shown as an entry.
   */
  | {
      kind: 'receipt';
      from: string;
      state: ReceiptState;
      upTo: number;
      alreadyAccepted?: true;
    }
  /**
   * An authentic receipt from the peer that acknowledges no message of ours this browser knows
   * (not ours, another MAC, or older than what it remembers): it changes nothing.
   */
  | { kind: 'receipt-ignored'; from: string }
  /** A refresh was accepted (or, in history, is shown): record "Keys changed" here. */
  | { kind: 'keys-changed'; by: string; epoch: EpochRef; alreadyAccepted?: true }
  /** We engaged in the peer's offer (a first exchange): send `reply`. Keys are ready. */
  | { kind: 'exchange-reply'; reply: string; epoch: EpochRef }
  /** The peer answered our offer (a first exchange): keys are ready, queued messages can go. */
  | { kind: 'exchange-complete'; epoch: EpochRef }
  /**
   * A new exchange replaced keys this conversation had (storage cleared, another browser, a
   * recovery; never a Refresh): show that `by` reset the keys and that older messages cannot be
   * read in the browser that lost them. Keys are ready; send `reply` when present (live, or a
   * fresh offer found in history). In history, and in a second tab, it marks where it happened.
   */
  | { kind: 'keys-reset'; by: string; epoch: EpochRef; reply?: string }
  /** A recovery started a new exchange: send `offer`; queued text goes once it completes. */
  | { kind: 'rekey'; offer: string; reason: RekeyReason }
  /** A key-exchange message shown in history but not engaged. */
  | { kind: 'exchange-ignored'; reason: ExchangeIgnoredReason }
  /**
   * We hold no keys for this epoch that its sender shares (storage cleared, another browser, or
   * another key store's answer won the exchange). `offer`: a recovery started a new exchange
   * because of it; send it.
   */
  | {
      kind: 'undecryptable';
      from: string;
      epoch: EpochRef;
      offer?: string;
      /** Of a receipt's size (docs/protocol.md, "Receipts"): most likely one, not a text. */
      receiptSized?: true;
    }
  /** Authentic, but its IV is not above the last one accepted: a replay or a reordering. */
  | { kind: 'rejected-replay'; from: string; epoch: EpochRef; counter: number }
  /** Malformed, not for this conversation, or failed authentication. Deliberately vague. */
  | { kind: 'invalid' };

export type ExchangeIgnoredReason =
  /** Older than 60 s (or dated more than 60 s ahead). */
  | 'stale'
  /** Simultaneous initiation: our own offer wins (our user id is lower). */
  | 'superseded'
  /** This exchange was already engaged or completed (another tab, or history). */
  | 'already-handled'
  /**
   * Another key store of our user answered this offer (another browser, or this browser before
   * its storage was cleared), or the peer answered such a store's offer: not ours to complete.
   */
  | 'other-key-store'
  /** A reply to an offer we no longer have pending. */
  | 'unknown-offer'
  /** Our own key-exchange message (history or a relay echo). */
  | 'own';

export type RekeyReason =
  /** The peer answered our offer twice with different keys (two key stores, a reset race). */
  | 'conflicting-reply'
  /** The history shows keys in use that this browser lost (storage cleared, first visit here). */
  | 'keys-lost';

export type EncryptOutcome =
  | { kind: 'encrypted'; wire: string; epoch: EpochRef; counter: number }
  /** No shared secret yet: call startKeyExchange (or wait, when an exchange is pending). */
  | { kind: 'no-keys'; exchangePending: boolean }
  | { kind: 'too-long'; maxBytes: number };

export type ReceiptOutcome =
  /** Send `wire` (under the send lock, like a chat message): it tells the peer. */
  | { kind: 'encrypted'; wire: string; epoch: EpochRef; counter: number }
  /** This browser told the peer as much already (any tab): nothing to send. */
  | { kind: 'covered' }
  /** `upTo` is no message from the peer that this browser accepted: nothing to acknowledge. */
  | { kind: 'unknown-message' }
  | { kind: 'no-keys' };

export type StartOutcome =
  /** Send `offer`; the exchange completes when the reply arrives. */
  | { kind: 'offer'; offer: string; xid: string }
  /** A fresh offer is already out (from this or another tab): wait for its reply. */
  | { kind: 'pending'; xid: string; sentAt: number };

export type RefreshOutcome =
  /**
   * Send `change` under `clientMessageId` (the same in every tab and page), and record "Keys
   * changed": new messages already use `epoch`. Until it is acknowledged, `unstoredChanges`
   * lists it, and it goes before any other message of ours.
   */
  | { kind: 'changed'; change: string; clientMessageId: string; epoch: EpochRef }
  | { kind: 'no-keys' };

/** The relay's client message id of our change into (xid, salt): one per epoch, so a resend is stored once. */
function changeClientId(ref: EpochRef): string {
  return `change-${ref.xid}-${ref.salt}`;
}

/** The client message id of a stored change message's JSON text (undefined: not a change). */
function changeIdOf(wire: string): string | undefined {
  const change = parseMessage(wire);
  return change?.type === 'change' ? changeClientId(change) : undefined;
}

export type ConversationStatus =
  | { state: 'no-keys' }
  | { state: 'exchanging'; xid: string; sentAt: number }
  | { state: 'ready'; epoch: EpochRef; exchangePending: boolean };

export interface ConversationOptions {
  /** Immutable user id of the signed-in user. */
  self: string;
  /** Immutable user id of the other participant. */
  peer: string;
  store: ConversationStore;
  /** Milliseconds since the Unix epoch (Date.now in the browser; a fake clock in tests). */
  now: () => number;
  log?: CryptoLog;
}

export interface Conversation {
  readonly self: string;
  readonly peer: string;
  status(): ConversationStatus;
  /** Starts an ECDH exchange unless a fresh offer is already pending (`force` re-keys anyway). */
  startKeyExchange(options?: { force?: boolean }): Promise<StartOutcome>;
  /** Reserves the next IV under the lock, then encrypts. */
  encrypt(text: string): Promise<EncryptOutcome>;
  /**
   * Re-derives all four keys with the next salt and returns the "change" message to send.
   * Throws when UNSTORED_CHANGES_KEPT changes wait for their acks already.
   */
  refreshKeys(): Promise<RefreshOutcome>;
  /**
   * Our change messages the relay has not acknowledged yet, oldest first (persisted, for every
   * tab): send them, in order and under their client ids, before anything else of ours.
   */
  unstoredChanges(): Promise<{ wire: string; clientMessageId: string }[]>;
  /**
   * Encrypts a receipt: the peer's messages up to relay id `upTo` (one this browser accepted)
   * were decrypted or read here. Reserves the next IV under the lock, once per (state, upTo)
   * for every tab of this browser.
   */
  encryptReceipt(state: ReceiptState, upTo: number): Promise<ReceiptOutcome>;
  /** What the peer's receipts said of our messages so far (persisted): for display. */
  receiptMarks(): ReceiptMarks;
  /**
   * Feeds in one live network message (JSON text or parsed value), of any type, with the
   * relay's id of the stored message. Omit `serverId` only for a message that was never stored:
   * it is then checked against the high-water marks alone.
   */
  receive(wire: unknown, serverId?: number): Promise<ReceiveOutcome>;
  /** Feeds in stored history in server order; one outcome per message, same order. */
  decryptHistory(messages: readonly StoredEntry[]): Promise<ReceiveOutcome[]>;
  /** Tells the protocol the relay stored our message `wire` as `serverId` (its ack). */
  acknowledged(wire: string, serverId: number): Promise<void>;
  /** `receive`, restricted to one message type: anything else is `invalid`. */
  acceptKeyExchange(offer: unknown, serverId?: number): Promise<ReceiveOutcome>;
  completeKeyExchange(reply: unknown, serverId?: number): Promise<ReceiveOutcome>;
  decrypt(message: unknown, serverId?: number): Promise<ReceiveOutcome>;
  acceptRefresh(change: unknown, serverId?: number): Promise<ReceiveOutcome>;
}

/** One stored message as the relay's history returns it: its id and the protocol message. */
export interface StoredEntry {
  id: number;
  payload: unknown;
}

/**
 * How a message arrives. Live messages are checked against the persisted high-water marks;
 * history against the order along the pass, knowing what the whole pass shows.
 */
type Mode =
  | { kind: 'live' }
  | {
      kind: 'history';
      lastCounter: Map<string, number>;
      changes: Set<string>;
      /** Offers that a reply from our own user in this history answers. */
      answeredBySelf: Set<string>;
      /** The message being read is followed by a reply (to it, or to a newer offer). */
      overtaken: boolean;
    };

const invalid: ReceiveOutcome = { kind: 'invalid' };
const ignored = (reason: ExchangeIgnoredReason): ReceiveOutcome => ({
  kind: 'exchange-ignored',
  reason,
});

export function createConversation(options: ConversationOptions): Conversation {
  const { self, peer, store, now } = options;
  if (!isUserId(self) || !isUserId(peer) || self === peer) {
    throw new RangeError('self and peer must be two different user ids');
  }
  const log = options.log ?? silentCryptoLog;
  const handleCache = new Map<string, Promise<DirectionKeyHandles>>();

  const handlesOf = (stored: StoredDirectionKeys): Promise<DirectionKeyHandles> => {
    const cacheKey = `${stored.encryptionKey}.${stored.macKey}`;
    let handles = handleCache.get(cacheKey);
    if (handles === undefined) {
      handles = importDirectionKeys({
        encryption: decode(stored.encryptionKey),
        mac: decode(stored.macKey),
      });
      handleCache.set(cacheKey, handles);
    }
    return handles;
  };

  const isFresh = (sentAt: number): boolean => {
    const age = now() - sentAt;
    return age <= KEY_EXCHANGE_MAX_AGE_MS && -age <= KEY_EXCHANGE_MAX_FUTURE_MS;
  };
  const freshPending = (record: ConversationRecord): boolean =>
    record.pending !== null && isFresh(record.pending.sentAt);

  const checkRecord = (record: ConversationRecord): void => {
    if (record.self !== self || record.peer !== peer) {
      throw new Error('the store handed over another conversation');
    }
  };

  /** Whether this conversation had keys before (held, lost, or used by another key store). */
  const hadKeys = (record: ConversationRecord): boolean =>
    record.current !== null ||
    Object.keys(record.exchanges).length > 0 ||
    record.elsewhere.length > 0;

  /** Stores a completed exchange and its first epoch, and makes that epoch current. */
  const installExchange = async (
    record: ConversationRecord,
    exchange: {
      xid: string;
      initiator: string;
      own: KeyPair;
      peerPublicKey: Bytes;
      secret: Bytes;
      automatic: boolean;
    },
  ): Promise<{ epoch: EpochRef; replaced: boolean }> => {
    const ref = { xid: exchange.xid, salt: 1 };
    const replaced = hadKeys(record);
    const keys = await deriveEpochKeys({ secret: exchange.secret, salt: 1, self, peer }, log);
    record.exchanges[exchange.xid] = {
      xid: exchange.xid,
      initiator: exchange.initiator,
      ownKeyPair: storeKeyPair(exchange.own),
      peerPublicKey: toBase64Url(exchange.peerPublicKey),
      sharedSecret: toBase64Url(exchange.secret),
      completedAt: now(),
      replaced,
      // The initiator took the peer's own reply; a responder learns only from the peer's use.
      standing: exchange.initiator === self ? 'confirmed' : 'unconfirmed',
      automatic: exchange.automatic,
      recovered: false,
      replyId: null,
      rivalReplyId: null,
    };
    record.epochs[epochKey(ref)] = newEpoch(ref, keys, now());
    record.current = ref;
    log.op('epoch-current', { epoch: epochKey(ref), reason: 'exchange' });
    return { epoch: ref, replaced };
  };

  /** Makes a fresh offer of ours pending and returns its wire form. */
  const makeOffer = async (
    record: ConversationRecord,
    automatic: boolean,
  ): Promise<{ offer: string; xid: string }> => {
    const own = await generateKeyPair(log);
    const xid = await exchangeId(own.publicKey);
    const sentAt = now();
    record.pending = { xid, keyPair: storeKeyPair(own), sentAt, automatic, relayId: null };
    noteExchange(record.offered, xid);
    log.op('kx-offer', { xid, publicKey: own.publicKey, sentAt, automatic: `${automatic}` });
    const offer: KeyOffer = {
      type: 'kx-offer',
      from: self,
      to: peer,
      publicKey: own.publicKey,
      sentAt,
    };
    return { offer: serializeMessage(offer), xid };
  };

  /** Stops sending under exchange `xid` if it is current: the peer may not hold its keys. */
  const dropCurrent = (record: ConversationRecord, xid: string | undefined, reason: string) => {
    if (xid === undefined || record.current?.xid !== xid) return;
    record.current = null;
    log.op('epoch-current', { epoch: 'none', reason });
  };

  /**
   * Rule 5: another key store of our user holds the conversation now. Stop sending under our
   * keys; our next send starts a new exchange and takes the conversation back. (A pending offer
   * of ours stays: the peer may still answer it, which takes the conversation back too.)
   */
  const yieldToOtherStore = (record: ConversationRecord, reason: string) => {
    dropCurrent(record, record.current?.xid, reason);
  };

  /**
   * Starts a recovery exchange because of `cause`, at most once per exchange, never because of
   * an exchange a recovery made (so two key stores answering every offer cannot loop), and not
   * while a fresh offer is out. Returns the offer to send.
   */
  const recover = async (
    record: ConversationRecord,
    cause: ExchangeRecord | undefined,
  ): Promise<string | undefined> => {
    if (cause !== undefined) {
      if (cause.recovered || cause.automatic) return undefined;
      cause.recovered = true;
    }
    if (freshPending(record)) return undefined;
    return (await makeOffer(record, true)).offer;
  };

  /** Two answers of our user to one offer: the first the relay stored is the one the peer took. */
  const settleRivalry = (record: ConversationRecord, exchange: ExchangeRecord) => {
    if (exchange.replyId === null || exchange.rivalReplyId === null) return;
    if (exchange.rivalReplyId < exchange.replyId) {
      exchange.standing = 'lost';
      dropCurrent(record, exchange.xid, 'another key store answered first');
    } else if (exchange.standing !== 'lost') {
      exchange.standing = 'confirmed';
    }
  };

  const onOffer = async (
    record: ConversationRecord,
    offer: KeyOffer,
    mode: Mode,
  ): Promise<ReceiveOutcome> => {
    if (offer.from === self) return ignored('own');
    const xid = await exchangeId(offer.publicKey);
    const known = record.exchanges[xid];
    if (known !== undefined) {
      // Engaged before (another tab, an earlier read): a reset still shows where it happened.
      return known.replaced
        ? { kind: 'keys-reset', by: peer, epoch: { xid, salt: 1 } }
        : ignored('already-handled');
    }
    // Rule 1: never answer an offer our user already answered (another key store, or this
    // browser before its storage was cleared: its reply is in the history).
    if (
      record.elsewhere.includes(xid) ||
      (mode.kind === 'history' && mode.answeredBySelf.has(xid))
    ) {
      noteExchange(record.elsewhere, xid);
      // Our own pending offer, if our user id is higher, lost to this one: the peer ignores it.
      if (isFresh(offer.sentAt) && freshPending(record) && self > peer) record.pending = null;
      return ignored('other-key-store');
    }
    // In history, an offer followed by a reply (its own, elsewhere, or to an offer that
    // superseded it) is never engaged, however fresh: a later exchange overtook it.
    if (mode.kind === 'history' && mode.overtaken) return ignored('superseded');
    if (!isFresh(offer.sentAt)) return ignored('stale');
    // Simultaneous initiation: the offer of the lower user id wins, on both sides.
    if (freshPending(record) && self < peer) return ignored('superseded');
    const own = await generateKeyPair(log);
    const secret = await deriveSharedSecret(own, offer.publicKey, log);
    if (secret === null) return invalid;
    record.pending = null;
    const { epoch, replaced } = await installExchange(record, {
      xid,
      initiator: peer,
      own,
      peerPublicKey: offer.publicKey,
      secret,
      automatic: false,
    });
    const reply: KeyReply = {
      type: 'kx-reply',
      from: self,
      to: peer,
      xid,
      publicKey: own.publicKey,
      sentAt: now(),
    };
    const wire = serializeMessage(reply);
    return replaced
      ? { kind: 'keys-reset', by: peer, epoch, reply: wire }
      : { kind: 'exchange-reply', reply: wire, epoch };
  };

  /** A reply of our own user: ours (echoed), or another key store's. */
  const onOwnReply = (
    record: ConversationRecord,
    reply: KeyReply,
    mode: Mode,
    serverId: number | undefined,
  ): ReceiveOutcome => {
    const known = record.exchanges[reply.xid];
    if (known === undefined) {
      // Another key store of our user answered this offer: it holds the conversation now (in
      // history, the pass decides at its end what is latest).
      noteExchange(record.elsewhere, reply.xid);
      if (mode.kind === 'live') yieldToOtherStore(record, 'another key store answered the peer');
      return ignored('other-key-store');
    }
    if (known.initiator !== peer) return ignored('own');
    if (toBase64Url(reply.publicKey) === known.ownKeyPair.publicKey) {
      if (serverId !== undefined && known.replyId === null) {
        known.replyId = serverId;
        settleRivalry(record, known);
      }
      return ignored('own');
    }
    // Rule 2, responder side: two key stores of our user answered one offer with different keys.
    if (serverId !== undefined) {
      known.rivalReplyId = Math.min(known.rivalReplyId ?? serverId, serverId);
    }
    if (known.standing === 'unconfirmed') known.standing = 'disputed';
    settleRivalry(record, known);
    return ignored('other-key-store');
  };

  /**
   * Rule 1's mirror: a reply stored after our pending offer, to another offer, overtook it. Any
   * reader of the history ignores the offer from then on (`superseded`), so we stop waiting for
   * an answer to it, and a fresh offer of the peer's is answered, not ignored as simultaneous.
   */
  const dropOvertakenOffer = (
    record: ConversationRecord,
    reply: KeyReply,
    serverId: number | undefined,
  ) => {
    const pending = record.pending;
    if (pending === null || pending.relayId === null || serverId === undefined) return;
    if (reply.xid !== pending.xid && serverId > pending.relayId) record.pending = null;
  };

  const onReply = async (
    record: ConversationRecord,
    reply: KeyReply,
    mode: Mode,
    serverId: number | undefined,
  ): Promise<ReceiveOutcome> => {
    dropOvertakenOffer(record, reply, serverId);
    if (reply.from === self) return onOwnReply(record, reply, mode, serverId);
    const known = record.exchanges[reply.xid];
    if (known !== undefined) {
      if (known.initiator !== self) return ignored('already-handled');
      if (toBase64Url(reply.publicKey) === known.peerPublicKey) {
        return known.replaced
          ? { kind: 'keys-reset', by: self, epoch: { xid: reply.xid, salt: 1 } }
          : ignored('already-handled');
      }
      // Rule 2: a second, different answer to our offer. The peer's user answered twice (two
      // key stores, or storage cleared in between); we took the first. Unless this exchange was
      // itself a recovery, stop using it and start a fresh one.
      known.standing = 'disputed';
      if (known.automatic) return ignored('already-handled');
      dropCurrent(record, reply.xid, 'conflicting reply');
      const offer = await recover(record, known);
      return offer === undefined
        ? ignored('already-handled')
        : { kind: 'rekey', offer, reason: 'conflicting-reply' };
    }
    const pending = record.pending;
    if (pending === null || pending.xid !== reply.xid) {
      if (record.offered.includes(reply.xid)) return ignored('unknown-offer');
      // The peer answered an offer of another key store of ours: that store holds it now.
      noteExchange(record.elsewhere, reply.xid);
      if (mode.kind === 'live')
        yieldToOtherStore(record, 'another key store completed an exchange');
      return ignored('other-key-store');
    }
    if (!isFresh(reply.sentAt)) return ignored('stale');
    const own = loadKeyPair(pending.keyPair);
    const secret = await deriveSharedSecret(own, reply.publicKey, log);
    if (secret === null) return invalid;
    record.pending = null;
    const { epoch, replaced } = await installExchange(record, {
      xid: reply.xid,
      initiator: self,
      own,
      peerPublicKey: reply.publicKey,
      secret,
      automatic: pending.automatic,
    });
    return replaced
      ? { kind: 'keys-reset', by: self, epoch }
      : { kind: 'exchange-complete', epoch };
  };

  /**
   * A MAC that fails under keys of `exchange`. Under confirmed keys it is an integrity failure
   * (`invalid`). Under keys the sender may not share, it means we hold the wrong ones: shown as
   * undecryptable, and rule 3: when the peer's message fails under an exchange we answered and
   * still use, that exchange is lost, and a new one starts (once) instead of a dead end.
   */
  const onBadMac = async (
    record: ConversationRecord,
    from: string,
    ref: EpochRef,
    exchange: ExchangeRecord,
  ): Promise<ReceiveOutcome> => {
    const undecryptable = { kind: 'undecryptable', from, epoch: ref } as const;
    // Our own user's message from another key store that answered the same offer its own way.
    if (from === self && exchange.rivalReplyId !== null) return undecryptable;
    if (exchange.standing === 'confirmed') return invalid;
    if (from !== peer || exchange.initiator !== peer || exchange.standing === 'lost') {
      return undecryptable;
    }
    exchange.standing = 'lost';
    if (record.current?.xid !== exchange.xid) return undecryptable;
    dropCurrent(record, exchange.xid, 'the peer does not share these keys');
    const offer = await recover(record, exchange);
    return offer === undefined ? undecryptable : { ...undecryptable, offer };
  };

  /**
   * The peer used this exchange's keys, authentically: it holds the same secret. (An exchange
   * we initiated that got two answers stays disputed: the other answer's key store may still
   * send under it, and that is no integrity failure.)
   */
  const confirm = (exchange: ExchangeRecord, from: string) => {
    if (from !== peer) return;
    if (exchange.initiator === peer || exchange.standing !== 'disputed') {
      exchange.standing = 'confirmed';
    }
  };

  const onMessage = async (
    record: ConversationRecord,
    message: ChatMessage,
    mode: Mode,
    serverId: number | undefined,
  ): Promise<ReceiveOutcome> => {
    const fromPeer = message.from === peer;
    const ref = { xid: message.xid, salt: message.salt };
    const epoch = record.epochs[epochKey(ref)];
    const exchange = record.exchanges[message.xid];
    if (epoch === undefined || exchange === undefined) {
      return { kind: 'undecryptable', from: message.from, epoch: ref };
    }
    const keys = await handlesOf(fromPeer ? epoch.receive : epoch.send);
    // 1. The MAC, before anything else touches the message.
    if (!(await verifyMessageMac(message, keys, log))) {
      return onBadMac(record, message.from, ref, exchange);
    }
    const counter = counterOf(message.iv);
    // 2. The peer declared, in its change message, the last IV it used under this epoch.
    if (fromPeer && epoch.peerLastIv !== null && counter > epoch.peerLastIv) return invalid;
    // 3. The relay id: a copy of a message this browser already accepted (another tab, an
    //    earlier read) is shown again, flagged; another message under that id is a replay.
    const mac = toBase64Url(message.mac);
    const seen = serverId === undefined ? undefined : deliveryOf(record, serverId);
    const direction = fromPeer ? 'peer' : 'own';
    if (seen !== undefined && seen.mac !== mac) {
      return { kind: 'rejected-replay', from: message.from, epoch: ref, counter };
    }
    // 4. Otherwise the IV must be strictly above the last one accepted (persisted, or along
    //    history): the same message under a new relay id, or a lower counter, is a replay.
    const orderKey = `${epochKey(ref)}/${direction}`;
    const last =
      mode.kind === 'history'
        ? (mode.lastCounter.get(orderKey) ?? 0)
        : seen !== undefined
          ? 0
          : epoch.accepted[direction];
    if (counter <= last) {
      log.op('replay-rejected', { epoch: epochKey(ref), iv: message.iv, lastAccepted: last });
      return { kind: 'rejected-replay', from: message.from, epoch: ref, counter };
    }
    // 5. Decrypt: a chat text, or a control message (a receipt).
    let text: string | Bytes;
    try {
      text = await decryptPayload(message, keys, log);
    } catch (error) {
      if (error instanceof AuthenticationError) return invalid;
      throw error;
    }
    const receipt = typeof text === 'string' ? undefined : decodeReceipt(text);
    if (receipt === null) return invalid;
    if (mode.kind === 'history') mode.lastCounter.set(orderKey, counter);
    epoch.accepted[direction] = Math.max(epoch.accepted[direction], counter);
    if (serverId !== undefined) rememberDelivery(record, serverId, mac, !fromPeer);
    confirm(exchange, message.from);
    const flag = seen === undefined ? {} : ({ alreadyAccepted: true } as const);
    if (receipt !== undefined) return { ...onReceipt(record, message.from, receipt), ...flag };
    const outcome: ReceiveOutcome = {
      kind: 'plaintext',
      from: message.from,
      text: text as string,
      epoch: ref,
      counter,
    };
    return { ...outcome, ...flag };
  };

  /**
   * An authentic receipt, in order (the chat message checks passed). The peer's must name a
   * message of our own user this browser remembers, by relay id and MAC; ours (another tab's,
   * an earlier visit's) tells this tab what was said already.
   */
  const onReceipt = (
    record: ConversationRecord,
    from: string,
    receipt: NonNullable<ReturnType<typeof decodeReceipt>>,
  ): ReceiveOutcome => {
    const { state, upTo } = receipt;
    if (from === self) {
      raiseMark(record.receipts.sent, state, upTo);
      return { kind: 'receipt', from, state, upTo };
    }
    const target = deliveryOf(record, upTo);
    if (target?.own !== true || target.mac !== toBase64Url(receipt.mac)) {
      log.op('receipt-ignored', { state, upTo, mac: receipt.mac });
      return { kind: 'receipt-ignored', from };
    }
    const moved = raiseMark(record.receipts.received, state, upTo);
    log.op('receipt-accept', { state, upTo, mac: receipt.mac, moved: `${moved}` });
    return { kind: 'receipt', from, state, upTo };
  };

  const onChange = async (
    record: ConversationRecord,
    change: ChangeMessage,
    mode: Mode,
    serverId: number | undefined,
  ): Promise<ReceiveOutcome> => {
    const fromPeer = change.from === peer;
    const newRef = { xid: change.xid, salt: change.salt };
    const oldRef = { xid: change.xid, salt: change.salt - 1 };
    const oldEpoch = record.epochs[epochKey(oldRef)];
    const exchange = record.exchanges[change.xid];
    if (oldEpoch === undefined || exchange === undefined) {
      return { kind: 'undecryptable', from: change.from, epoch: newRef };
    }
    // Verify the old MAC before doing anything with the message.
    const pick = (epoch: EpochRecord) => (fromPeer ? epoch.receive : epoch.send);
    if (!(await verifyChangeMac(change, 'old', await handlesOf(pick(oldEpoch)), log))) {
      const outcome = await onBadMac(record, change.from, oldRef, exchange);
      return outcome.kind === 'undecryptable' ? { ...outcome, epoch: newRef } : outcome;
    }
    const lastCounter = counterOf(change.lastIv);
    if (fromPeer && lastCounter < oldEpoch.accepted.peer) return invalid;
    // Derive the new keys (or take them, if this epoch is already known) and verify the new MAC.
    const known = record.epochs[epochKey(newRef)];
    const newEpochRecord =
      known ??
      newEpoch(
        newRef,
        await deriveEpochKeys(
          { secret: decode(exchange.sharedSecret), salt: change.salt, self, peer },
          log,
        ),
        now(),
      );
    if (!(await verifyChangeMac(change, 'new', await handlesOf(pick(newEpochRecord)), log))) {
      return invalid;
    }
    const direction = fromPeer ? 'peer' : 'own';
    // The relay id, as for chat messages: another change under an id already accepted is a
    // replay; a copy of the one accepted is shown again, flagged, and changes nothing.
    const mac = toBase64Url(change.macNew);
    const seen = serverId === undefined ? undefined : deliveryOf(record, serverId);
    const replay = {
      kind: 'rejected-replay',
      from: change.from,
      epoch: newRef,
      counter: 0,
    } as const;
    if (seen !== undefined && seen.mac !== mac) return replay;
    const passKey = `${epochKey(newRef)}/${direction}`;
    const replayed =
      mode.kind === 'history'
        ? mode.changes.has(passKey)
        : seen === undefined && newEpochRecord.changeAccepted[direction];
    if (replayed) return replay;
    if (mode.kind === 'history') mode.changes.add(passKey);
    if (seen !== undefined && known !== undefined) {
      return { kind: 'keys-changed', by: change.from, epoch: newRef, alreadyAccepted: true };
    }
    // Accepted: only now does the record change.
    record.epochs[epochKey(newRef)] = newEpochRecord;
    newEpochRecord.changeAccepted[direction] = true;
    if (fromPeer) oldEpoch.peerLastIv = lastCounter;
    if (serverId !== undefined) rememberDelivery(record, serverId, mac);
    confirm(exchange, change.from);
    const current = record.current;
    if (current !== null && current.xid === change.xid && current.salt < change.salt) {
      record.current = newRef;
      log.op('epoch-current', { epoch: epochKey(newRef), reason: `change by ${change.from}` });
    }
    return { kind: 'keys-changed', by: change.from, epoch: newRef };
  };

  const processMessage = async (
    record: ConversationRecord,
    message: ProtocolMessage | null,
    mode: Mode,
    serverId: number | undefined,
    only?: ProtocolMessage['type'],
  ): Promise<ReceiveOutcome> => {
    if (message === null || (only !== undefined && message.type !== only)) return invalid;
    if (!isBetween(message)) return invalid;
    switch (message.type) {
      case 'kx-offer':
        return onOffer(record, message, mode);
      case 'kx-reply':
        return onReply(record, message, mode, serverId);
      case 'msg': {
        const outcome = await onMessage(record, message, mode, serverId);
        // Without the keys, a receipt is told from text by its size alone (as the server can).
        return outcome.kind === 'undecryptable' && message.ciphertext.length === RECEIPT_BYTES
          ? { ...outcome, receiptSized: true }
          : outcome;
      }
      case 'change':
        return onChange(record, message, mode, serverId);
    }
  };

  const isBetween = (message: ProtocolMessage): boolean =>
    (message.from === peer && message.to === self) ||
    (message.from === self && message.to === peer);

  const receiveOnly = (wire: unknown, serverId?: number, only?: ProtocolMessage['type']) =>
    store.update(async (record) => {
      checkRecord(record);
      return processMessage(record, parseMessage(wire), { kind: 'live' }, serverId, only);
    });

  /**
   * After a history pass: if the latest exchange of the conversation (its last reply) is not one
   * we hold, the peer uses keys this key store does not have. Known before the pass (another
   * key store of ours took over while we watched): stop using ours. Not known (storage cleared,
   * or the first visit in this browser): start a new exchange, so the conversation recovers
   * without anyone having to send first. Returns the offer to send.
   */
  const afterHistory = async (
    record: ConversationRecord,
    latestXid: string,
    knownBefore: Set<string>,
  ): Promise<string | undefined> => {
    const held = record.exchanges[latestXid];
    if (held !== undefined && held.standing !== 'lost') return undefined;
    if (knownBefore.has(latestXid)) {
      yieldToOtherStore(record, 'another key store holds the conversation');
      return undefined;
    }
    return recover(record, undefined);
  };

  return {
    self,
    peer,

    status() {
      const record = store.read();
      const pending = freshPending(record) ? record.pending : null;
      if (record.current !== null) {
        return { state: 'ready', epoch: record.current, exchangePending: pending !== null };
      }
      if (pending !== null)
        return { state: 'exchanging', xid: pending.xid, sentAt: pending.sentAt };
      return { state: 'no-keys' };
    },

    startKeyExchange(startOptions = {}) {
      return store.update(async (record): Promise<StartOutcome> => {
        checkRecord(record);
        const pending = record.pending;
        if (pending !== null && isFresh(pending.sentAt) && startOptions.force !== true) {
          return { kind: 'pending', xid: pending.xid, sentAt: pending.sentAt };
        }
        return { kind: 'offer', ...(await makeOffer(record, false)) };
      });
    },

    async encrypt(text) {
      if (utf8(text).length > MAX_PLAINTEXT_BYTES) {
        return { kind: 'too-long', maxBytes: MAX_PLAINTEXT_BYTES };
      }
      // Reserve and persist the counter under the lock first; encrypt after.
      const reservation = await store.update(async (record) => {
        checkRecord(record);
        if (record.current === null) return null;
        const epoch = record.epochs[epochKey(record.current)];
        if (epoch === undefined) throw new Error('current epoch missing from the record');
        epoch.reserved += 1;
        return { ref: record.current, counter: epoch.reserved, keys: epoch.send };
      });
      if (reservation === null) {
        return { kind: 'no-keys', exchangePending: freshPending(store.read()) };
      }
      const { ref, counter, keys } = reservation;
      const message = await sealMessage(
        { from: self, to: peer, xid: ref.xid, salt: ref.salt },
        await handlesOf(keys),
        counter,
        text,
        log,
      );
      return { kind: 'encrypted', wire: serializeMessage(message), epoch: ref, counter };
    },

    refreshKeys() {
      return store.update(async (record): Promise<RefreshOutcome> => {
        checkRecord(record);
        const current = record.current;
        if (current === null) return { kind: 'no-keys' };
        const oldEpoch = record.epochs[epochKey(current)];
        const exchange = record.exchanges[current.xid];
        if (oldEpoch === undefined || exchange === undefined) {
          throw new Error('current epoch missing from the record');
        }
        if (current.salt >= MAX_SALT) throw new RangeError('epoch counter exhausted: re-key');
        if (record.unstoredChanges.length >= UNSTORED_CHANGES_KEPT) {
          throw new Error('too many key changes wait to be stored: connect first');
        }
        const newRef = { xid: current.xid, salt: current.salt + 1 };
        const newEpochRecord =
          record.epochs[epochKey(newRef)] ??
          newEpoch(
            newRef,
            await deriveEpochKeys(
              { secret: decode(exchange.sharedSecret), salt: newRef.salt, self, peer },
              log,
            ),
            now(),
          );
        const change = await signChange(
          { from: self, to: peer, ...newRef },
          oldEpoch.reserved,
          await handlesOf(oldEpoch.send),
          await handlesOf(newEpochRecord.send),
          log,
        );
        record.epochs[epochKey(newRef)] = newEpochRecord;
        record.current = newRef;
        const wire = serializeMessage(change);
        record.unstoredChanges.push(wire);
        log.op('epoch-current', { epoch: epochKey(newRef), reason: 'refresh' });
        return {
          kind: 'changed',
          change: wire,
          clientMessageId: changeClientId(newRef),
          epoch: newRef,
        };
      });
    },

    async encryptReceipt(state, upTo) {
      // Decide and reserve the counter under the lock, so two tabs never both say it.
      const reservation = await store.update(async (record) => {
        checkRecord(record);
        if (covered(record.receipts.sent, state, upTo)) return { kind: 'covered' } as const;
        const target = deliveryOf(record, upTo);
        if (target === undefined || target.own === true) {
          return { kind: 'unknown-message' } as const;
        }
        if (record.current === null) return { kind: 'no-keys' } as const;
        const epoch = record.epochs[epochKey(record.current)];
        if (epoch === undefined) throw new Error('current epoch missing from the record');
        epoch.reserved += 1;
        raiseMark(record.receipts.sent, state, upTo);
        return {
          kind: 'reserved',
          ref: record.current,
          counter: epoch.reserved,
          keys: epoch.send,
          mac: decode(target.mac),
        } as const;
      });
      if (reservation.kind !== 'reserved') return reservation;
      const { ref, counter, keys, mac } = reservation;
      log.op('receipt-seal', { state, upTo, mac, epoch: epochKey(ref), counter });
      const message = await sealMessage(
        { from: self, to: peer, xid: ref.xid, salt: ref.salt },
        await handlesOf(keys),
        counter,
        encodeReceipt({ state, upTo, mac }),
        log,
      );
      return { kind: 'encrypted', wire: serializeMessage(message), epoch: ref, counter };
    },

    receiptMarks: () => ({ ...store.read().receipts.received }),

    receive: (wire, serverId) => receiveOnly(wire, serverId),
    acceptKeyExchange: (offer, serverId) => receiveOnly(offer, serverId, 'kx-offer'),
    completeKeyExchange: (reply, serverId) => receiveOnly(reply, serverId, 'kx-reply'),
    decrypt: (message, serverId) => receiveOnly(message, serverId, 'msg'),
    acceptRefresh: (change, serverId) => receiveOnly(change, serverId, 'change'),

    decryptHistory(entries) {
      return store.update(async (record) => {
        checkRecord(record);
        const messages = entries.map((entry) => parseMessage(entry.payload));
        const answeredBySelf = new Set<string>();
        for (const message of messages) {
          if (message?.type === 'kx-reply' && message.from === self && message.to === peer) {
            answeredBySelf.add(message.xid);
          }
        }
        const knownBefore = new Set(record.elsewhere);
        for (const exchange of Object.values(record.exchanges)) {
          if (exchange.standing === 'lost') knownBefore.add(exchange.xid);
        }
        // overtaken[i]: a reply (to any offer) follows message i.
        const overtaken = messages.map(() => false);
        for (let i = messages.length - 2, later = false; i >= 0; i -= 1) {
          later ||= messages[i + 1]?.type === 'kx-reply';
          overtaken[i] = later;
        }
        const mode: Mode = {
          kind: 'history',
          lastCounter: new Map(),
          changes: new Set(),
          answeredBySelf,
          overtaken: false,
        };
        const outcomes: ReceiveOutcome[] = [];
        let latest: { index: number; xid: string } | undefined;
        for (const [index, message] of messages.entries()) {
          mode.overtaken = overtaken[index] ?? false;
          const outcome = await processMessage(record, message, mode, entries[index]?.id);
          outcomes.push(outcome);
          if (message?.type === 'kx-reply' && isBetween(message)) {
            latest = { index, xid: message.xid };
          }
          // A fresh offer engaged along the pass is newer than any reply before it.
          if ('reply' in outcome && outcome.reply !== undefined) latest = undefined;
        }
        if (latest !== undefined) {
          const offer = await afterHistory(record, latest.xid, knownBefore);
          if (offer !== undefined)
            outcomes[latest.index] = { kind: 'rekey', offer, reason: 'keys-lost' };
        }
        return outcomes;
      });
    },

    async unstoredChanges() {
      return (await store.latest()).unstoredChanges.flatMap((wire) => {
        const clientMessageId = changeIdOf(wire);
        return clientMessageId === undefined ? [] : [{ wire, clientMessageId }];
      });
    },

    async acknowledged(wire, serverId) {
      const message = parseMessage(wire);
      if (message === null || message.from !== self || message.to !== peer) return;
      if (message.type === 'change') {
        // Stored (this copy, or the same change sent by an earlier page: one client id per
        // epoch), and the ones before it were sent before it: messages under its epoch may go.
        const id = changeClientId(message);
        await store.update(async (record) => {
          checkRecord(record);
          const index = record.unstoredChanges.map(changeIdOf).indexOf(id);
          if (index >= 0) record.unstoredChanges.splice(0, index + 1);
        });
        return;
      }
      if (message.type === 'msg') {
        // Our own chat message, stored as `serverId`: this browser accepted it (it wrote it), so
        // another tab's copy of the relay's echo is shown, never taken for a replay because a
        // later message of ours moved the high-water mark first (the sending tab records this
        // before it lets any tab encrypt the next message of the conversation).
        await store.update(async (record) => {
          checkRecord(record);
          const epoch = record.epochs[epochKey({ xid: message.xid, salt: message.salt })];
          if (epoch === undefined) return;
          rememberDelivery(record, serverId, toBase64Url(message.mac), true);
          epoch.accepted.own = Math.max(epoch.accepted.own, counterOf(message.iv));
        });
        return;
      }
      if (message.type === 'kx-offer') {
        const xid = await exchangeId(message.publicKey);
        await store.update(async (record) => {
          checkRecord(record);
          if (record.pending?.xid === xid) record.pending.relayId = serverId;
        });
        return;
      }
      if (message.type !== 'kx-reply') return;
      await store.update(async (record) => {
        checkRecord(record);
        const exchange = record.exchanges[message.xid];
        if (exchange?.ownKeyPair.publicKey !== toBase64Url(message.publicKey)) return;
        exchange.replyId = serverId;
        settleRivalry(record, exchange);
      });
    },
  };
}

function newEpoch(ref: EpochRef, keys: EpochKeys, createdAt: number): EpochRecord {
  return {
    xid: ref.xid,
    salt: ref.salt,
    send: { encryptionKey: toBase64Url(keys.send.encryption), macKey: toBase64Url(keys.send.mac) },
    receive: {
      encryptionKey: toBase64Url(keys.receive.encryption),
      macKey: toBase64Url(keys.receive.mac),
    },
    reserved: 0,
    accepted: { peer: 0, own: 0 },
    peerLastIv: null,
    changeAccepted: { peer: false, own: false },
    createdAt,
  };
}

function storeKeyPair(pair: KeyPair): StoredKeyPair {
  return { publicKey: toBase64Url(pair.publicKey), privateKey: toBase64Url(pair.privateKey) };
}

function loadKeyPair(stored: StoredKeyPair): KeyPair {
  return { publicKey: decode(stored.publicKey), privateKey: decode(stored.privateKey) };
}

/** Decodes base64url the keystore already validated. */
function decode(text: string): Bytes {
  const bytes = fromBase64Url(text);
  if (bytes === null) throw new Error('corrupt key material in the conversation record');
  return bytes;
}
