/**
 * The persisted state of one conversation, as the keystore stores it (JSON, binary values in
 * base64url), and the store interface the protocol is handed. The protocol never reaches for
 * storage itself: every change goes through `ConversationStore.update`, which the keystore runs
 * under a cross-tab lock.
 */
import { PROTOCOL_VERSION } from './constants.js';
import { noMarks, type ReceiptMarks } from './receipts.js';

/** Names a key epoch: the exchange that made the shared secret and the HKDF salt counter. */
export interface EpochRef {
  xid: string;
  salt: number;
}

export interface StoredKeyPair {
  /** base64url of the uncompressed P-384 point. */
  publicKey: string;
  /** base64url of the private scalar d. */
  privateKey: string;
}

/** An offer we sent that has not been answered yet. */
export interface PendingOffer {
  xid: string;
  keyPair: StoredKeyPair;
  sentAt: number;
  /** Made by a recovery rather than by the user (see ExchangeRecord.automatic). */
  automatic: boolean;
  /** The relay id the offer was stored under (from the relay's ack), once known. */
  relayId: number | null;
}

/**
 * Whether the peer holds the same secret under this exchange's name (docs/protocol.md, "An
 * exchange that cannot wedge"):
 * - `confirmed`: we initiated it and took the peer's reply, or an authentic message from the peer
 *   under it verified;
 * - `unconfirmed`: we answered the peer's offer and have seen nothing from the peer under it yet:
 *   the peer may have taken another key store's answer;
 * - `disputed`: a second, different answer to the same offer was seen (the peer's, or another key
 *   store of our own user's);
 * - `lost`: another answer to the same offer reached the relay before ours: the peer took that
 *   one. Kept only to read our own messages sent under it.
 */
export type ExchangeStanding = 'confirmed' | 'unconfirmed' | 'disputed' | 'lost';

/** A completed ECDH exchange: both public keys and the shared secret. */
export interface ExchangeRecord {
  xid: string;
  /** User id of the side that sent the offer. */
  initiator: string;
  ownKeyPair: StoredKeyPair;
  peerPublicKey: string;
  /** base64url of the 48-byte ECDH shared secret, kept to derive later epochs on refresh. */
  sharedSecret: string;
  completedAt: number;
  /** It replaced keys the conversation already had (a reset, not a Refresh): show a notice. */
  replaced: boolean;
  standing: ExchangeStanding;
  /** Started by a recovery, not by the user: a dispute over it starts no further recovery. */
  automatic: boolean;
  /** A recovery (a new exchange) was already started because of this exchange. */
  recovered: boolean;
  /** The relay's id of our reply to this offer, once acknowledged (when we answered it). */
  replyId: number | null;
  /** The relay's id of another key store's different reply to this offer, once seen. */
  rivalReplyId: number | null;
}

/** A message this browser accepted, by the relay's id: what a later copy of it must match. */
export interface DeliveryRecord {
  /** The relay's id of the stored message. */
  id: number;
  /** What authenticated it (base64url): a chat message's MAC, a change's macNew. */
  mac: string;
  /** Our own user sent it: only such a message can be acknowledged by the peer's receipt. */
  own?: true;
}

/** Receipts of this conversation (receipts.ts): the relay ids they covered, per state. */
export interface ReceiptRecord {
  /** What our receipts told the peer already (any tab of this browser): never said twice. */
  sent: ReceiptMarks;
  /** What the peer's authentic receipts told us of our messages. */
  received: ReceiptMarks;
}

export interface StoredDirectionKeys {
  encryptionKey: string;
  macKey: string;
}

/** The four keys of one epoch and the counters kept under them. */
export interface EpochRecord {
  xid: string;
  salt: number;
  /** self → peer */
  send: StoredDirectionKeys;
  /** peer → self */
  receive: StoredDirectionKeys;
  /** The last send counter (IV) reserved under this epoch; the next message uses reserved + 1. */
  reserved: number;
  /** High-water marks: the largest IV accepted under this epoch, per direction. */
  accepted: { peer: number; own: number };
  /** The peer's "last IV used" from its change message out of this epoch, once received. */
  peerLastIv: number | null;
  /** Whether a change message *into* this epoch was accepted, per sender (replay detection). */
  changeAccepted: { peer: boolean; own: boolean };
  createdAt: number;
}

export interface ConversationRecord {
  v: typeof PROTOCOL_VERSION;
  self: string;
  peer: string;
  /** The epoch new messages are encrypted under, or null before any exchange. */
  current: EpochRef | null;
  pending: PendingOffer | null;
  exchanges: Record<string, ExchangeRecord>;
  /** Keyed by epochKey(ref). Never pruned: history needs every epoch. */
  epochs: Record<string, EpochRecord>;
  /** The messages accepted most recently, by relay id (the DELIVERIES_KEPT highest ids). */
  delivered: DeliveryRecord[];
  /** Exchange ids of the offers this key store made (the newest OFFERS_KEPT). */
  offered: string[];
  /**
   * Exchanges this key store does not hold but knows of: answered by another key store of our
   * user (or by our own storage before it was cleared), or completed by the peer for an offer of
   * another key store (the newest OFFERS_KEPT). We never answer these offers again.
   */
  elsewhere: string[];
  receipts: ReceiptRecord;
  /**
   * This key store's change messages (Refresh) the relay has not acknowledged yet, oldest first
   * (at most UNSTORED_CHANGES_KEPT): each must reach the relay before any message under the
   * epoch it introduces, from any tab or page (the peer cannot read them without it), so the
   * next send goes out after them.
   */
  unstoredChanges: string[];
}

/**
 * What the protocol is handed instead of storage. `update` reads the record afresh, runs
 * `step` on it (step mutates the record in place), then persists it — all under the
 * conversation's cross-tab lock, so two tabs never interleave their read-modify-write.
 */
export interface ConversationStore {
  update<T>(step: (record: ConversationRecord) => Promise<T>): Promise<T>;
  /** A snapshot without the lock: for display only, never for a read-modify-write. */
  read(): ConversationRecord;
  /**
   * The record as committed last, read under the lock without writing it: what another tab
   * just stored is seen, as `update` sees it (localStorage may lag behind another tab).
   */
  latest(): Promise<ConversationRecord>;
}

export function emptyConversation(self: string, peer: string): ConversationRecord {
  return {
    v: PROTOCOL_VERSION,
    self,
    peer,
    current: null,
    pending: null,
    exchanges: {},
    epochs: {},
    delivered: [],
    offered: [],
    elsewhere: [],
    receipts: { sent: noMarks(), received: noMarks() },
    unstoredChanges: [],
  };
}

/** The storage key of an epoch: "<xid>.<salt>". */
export function epochKey(ref: EpochRef): string {
  return `${ref.xid}.${ref.salt}`;
}
