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
 */
import { signChange, verifyChangeMac } from './change.js';
import {
  KEY_EXCHANGE_MAX_AGE_MS,
  KEY_EXCHANGE_MAX_FUTURE_MS,
  MAX_PLAINTEXT_BYTES,
  MAX_SALT,
} from './constants.js';
import { type CryptoLog, silentCryptoLog } from './crypto-log.js';
import { deriveEpochKeys, type EpochKeys } from './derive.js';
import { deriveSharedSecret, exchangeId, generateKeyPair, type KeyPair } from './ecdh.js';
import { type Bytes, fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { AuthenticationError } from './errors.js';
import {
  counterOf,
  type DirectionKeyHandles,
  decryptMessage,
  importDirectionKeys,
  sealMessage,
  verifyMessageMac,
} from './message-crypto.js';
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
  epochKey,
  type StoredDirectionKeys,
  type StoredKeyPair,
} from './state.js';

/** What feeding one received (or stored) network message in produces. */
export type ReceiveOutcome =
  /** A chat message, authentic, in order, decrypted. `from` may be self (own message, history). */
  | { kind: 'plaintext'; from: string; text: string; epoch: EpochRef; counter: number }
  /** A refresh was accepted (or, in history, is shown): record "Keys changed" here. */
  | { kind: 'keys-changed'; by: string; epoch: EpochRef }
  /** We engaged in the peer's offer: send `reply`. Keys are ready on our side. */
  | { kind: 'exchange-reply'; reply: string; epoch: EpochRef }
  /** The peer answered our offer: keys are ready, queued messages can go. */
  | { kind: 'exchange-complete'; epoch: EpochRef }
  /** A key-exchange message shown in history but not engaged. */
  | { kind: 'exchange-ignored'; reason: ExchangeIgnoredReason }
  /** Authentic or not, we hold no keys for this epoch (storage cleared, another browser). */
  | { kind: 'undecryptable'; from: string; epoch: EpochRef }
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
  /** A reply to an offer we no longer have pending. */
  | 'unknown-offer'
  /** Our own key-exchange message (history or a relay echo). */
  | 'own';

export type EncryptOutcome =
  | { kind: 'encrypted'; wire: string; epoch: EpochRef; counter: number }
  /** No shared secret yet: call startKeyExchange (or wait, when an exchange is pending). */
  | { kind: 'no-keys'; exchangePending: boolean }
  | { kind: 'too-long'; maxBytes: number };

export type StartOutcome =
  /** Send `offer`; the exchange completes when the reply arrives. */
  | { kind: 'offer'; offer: string; xid: string }
  /** A fresh offer is already out (from this or another tab): wait for its reply. */
  | { kind: 'pending'; xid: string; sentAt: number };

export type RefreshOutcome =
  /** Send `change`, and record "Keys changed": new messages already use `epoch`. */
  { kind: 'changed'; change: string; epoch: EpochRef } | { kind: 'no-keys' };

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
  /** Re-derives all four keys with the next salt and returns the "change" message to send. */
  refreshKeys(): Promise<RefreshOutcome>;
  /** Feeds in one live network message (JSON text or parsed value), of any type. */
  receive(wire: unknown): Promise<ReceiveOutcome>;
  /** Feeds in stored history in server order; one outcome per message, same order. */
  decryptHistory(wires: readonly unknown[]): Promise<ReceiveOutcome[]>;
  /** `receive`, restricted to one message type: anything else is `invalid`. */
  acceptKeyExchange(offer: unknown): Promise<ReceiveOutcome>;
  completeKeyExchange(reply: unknown): Promise<ReceiveOutcome>;
  decrypt(message: unknown): Promise<ReceiveOutcome>;
  acceptRefresh(change: unknown): Promise<ReceiveOutcome>;
}

/** Live messages are checked against the persisted high-water marks; history against order. */
type Mode =
  | { kind: 'live' }
  | { kind: 'history'; lastCounter: Map<string, number>; changes: Set<string> };

const invalid: ReceiveOutcome = { kind: 'invalid' };

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

  const checkRecord = (record: ConversationRecord): void => {
    if (record.self !== self || record.peer !== peer) {
      throw new Error('the store handed over another conversation');
    }
  };

  /** Stores a completed exchange and its first epoch, and makes that epoch current. */
  const installExchange = async (
    record: ConversationRecord,
    exchange: { xid: string; initiator: string; own: KeyPair; peerPublicKey: Bytes; secret: Bytes },
  ): Promise<EpochRef> => {
    const ref = { xid: exchange.xid, salt: 1 };
    const keys = await deriveEpochKeys({ secret: exchange.secret, salt: 1, self, peer }, log);
    record.exchanges[exchange.xid] = {
      xid: exchange.xid,
      initiator: exchange.initiator,
      ownKeyPair: storeKeyPair(exchange.own),
      peerPublicKey: toBase64Url(exchange.peerPublicKey),
      sharedSecret: toBase64Url(exchange.secret),
      completedAt: now(),
    };
    record.epochs[epochKey(ref)] = newEpoch(ref, keys, now());
    record.current = ref;
    log.op('epoch-current', { epoch: epochKey(ref), reason: 'exchange' });
    return ref;
  };

  const onOffer = async (record: ConversationRecord, offer: KeyOffer): Promise<ReceiveOutcome> => {
    if (offer.from === self) return { kind: 'exchange-ignored', reason: 'own' };
    const xid = await exchangeId(offer.publicKey);
    if (record.exchanges[xid] !== undefined) {
      return { kind: 'exchange-ignored', reason: 'already-handled' };
    }
    if (!isFresh(offer.sentAt)) return { kind: 'exchange-ignored', reason: 'stale' };
    // Simultaneous initiation: the offer of the lower user id wins, on both sides.
    if (record.pending !== null && isFresh(record.pending.sentAt) && self < peer) {
      return { kind: 'exchange-ignored', reason: 'superseded' };
    }
    const own = await generateKeyPair(log);
    const secret = await deriveSharedSecret(own, offer.publicKey, log);
    if (secret === null) return invalid;
    record.pending = null;
    const epoch = await installExchange(record, {
      xid,
      initiator: peer,
      own,
      peerPublicKey: offer.publicKey,
      secret,
    });
    const reply: KeyReply = {
      type: 'kx-reply',
      from: self,
      to: peer,
      xid,
      publicKey: own.publicKey,
      sentAt: now(),
    };
    return { kind: 'exchange-reply', reply: serializeMessage(reply), epoch };
  };

  const onReply = async (record: ConversationRecord, reply: KeyReply): Promise<ReceiveOutcome> => {
    if (reply.from === self) return { kind: 'exchange-ignored', reason: 'own' };
    if (record.exchanges[reply.xid] !== undefined) {
      return { kind: 'exchange-ignored', reason: 'already-handled' };
    }
    const pending = record.pending;
    if (pending === null || pending.xid !== reply.xid) {
      return { kind: 'exchange-ignored', reason: 'unknown-offer' };
    }
    if (!isFresh(reply.sentAt)) return { kind: 'exchange-ignored', reason: 'stale' };
    const own = loadKeyPair(pending.keyPair);
    const secret = await deriveSharedSecret(own, reply.publicKey, log);
    if (secret === null) return invalid;
    record.pending = null;
    const epoch = await installExchange(record, {
      xid: reply.xid,
      initiator: self,
      own,
      peerPublicKey: reply.publicKey,
      secret,
    });
    return { kind: 'exchange-complete', epoch };
  };

  const onMessage = async (
    record: ConversationRecord,
    message: ChatMessage,
    mode: Mode,
  ): Promise<ReceiveOutcome> => {
    const fromPeer = message.from === peer;
    const ref = { xid: message.xid, salt: message.salt };
    const epoch = record.epochs[epochKey(ref)];
    if (epoch === undefined) return { kind: 'undecryptable', from: message.from, epoch: ref };
    const keys = await handlesOf(fromPeer ? epoch.receive : epoch.send);
    // 1. The MAC, before anything else touches the message.
    if (!(await verifyMessageMac(message, keys, log))) return invalid;
    const counter = counterOf(message.iv);
    // The peer declared, in its change message, the last IV it used under this epoch.
    if (fromPeer && epoch.peerLastIv !== null && counter > epoch.peerLastIv) return invalid;
    // 2. The IV must be strictly above the last one accepted (persisted, or along history).
    const direction = fromPeer ? 'peer' : 'own';
    const orderKey = `${epochKey(ref)}/${direction}`;
    const last =
      mode.kind === 'live' ? epoch.accepted[direction] : (mode.lastCounter.get(orderKey) ?? 0);
    if (counter <= last) {
      log.op('replay-rejected', { epoch: epochKey(ref), iv: message.iv, lastAccepted: last });
      return { kind: 'rejected-replay', from: message.from, epoch: ref, counter };
    }
    // 3. Decrypt.
    let text: string;
    try {
      text = await decryptMessage(message, keys, log);
    } catch (error) {
      if (error instanceof AuthenticationError) return invalid;
      throw error;
    }
    if (mode.kind === 'history') mode.lastCounter.set(orderKey, counter);
    epoch.accepted[direction] = Math.max(epoch.accepted[direction], counter);
    return { kind: 'plaintext', from: message.from, text, epoch: ref, counter };
  };

  const onChange = async (
    record: ConversationRecord,
    change: ChangeMessage,
    mode: Mode,
  ): Promise<ReceiveOutcome> => {
    const fromPeer = change.from === peer;
    const newRef = { xid: change.xid, salt: change.salt };
    const oldEpoch = record.epochs[epochKey({ xid: change.xid, salt: change.salt - 1 })];
    const exchange = record.exchanges[change.xid];
    if (oldEpoch === undefined || exchange === undefined) {
      return { kind: 'undecryptable', from: change.from, epoch: newRef };
    }
    // Verify the old MAC before doing anything with the message.
    const pick = (epoch: EpochRecord) => (fromPeer ? epoch.receive : epoch.send);
    if (!(await verifyChangeMac(change, 'old', await handlesOf(pick(oldEpoch)), log))) {
      return invalid;
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
    const replayed =
      mode.kind === 'live'
        ? newEpochRecord.changeAccepted[direction]
        : mode.changes.has(`${epochKey(newRef)}/${direction}`);
    if (replayed) return { kind: 'rejected-replay', from: change.from, epoch: newRef, counter: 0 };
    // Accepted: only now does the record change.
    if (mode.kind === 'history') mode.changes.add(`${epochKey(newRef)}/${direction}`);
    record.epochs[epochKey(newRef)] = newEpochRecord;
    newEpochRecord.changeAccepted[direction] = true;
    if (fromPeer) oldEpoch.peerLastIv = lastCounter;
    const current = record.current;
    if (current !== null && current.xid === change.xid && current.salt < change.salt) {
      record.current = newRef;
      log.op('epoch-current', { epoch: epochKey(newRef), reason: `change by ${change.from}` });
    }
    return { kind: 'keys-changed', by: change.from, epoch: newRef };
  };

  const processMessage = async (
    record: ConversationRecord,
    wire: unknown,
    mode: Mode,
    only?: ProtocolMessage['type'],
  ): Promise<ReceiveOutcome> => {
    const message = parseMessage(wire);
    if (message === null || (only !== undefined && message.type !== only)) return invalid;
    const between =
      (message.from === peer && message.to === self) ||
      (message.from === self && message.to === peer);
    if (!between) return invalid;
    switch (message.type) {
      case 'kx-offer':
        return onOffer(record, message);
      case 'kx-reply':
        return onReply(record, message);
      case 'msg':
        return onMessage(record, message, mode);
      case 'change':
        return onChange(record, message, mode);
    }
  };

  const receiveOnly = (wire: unknown, only?: ProtocolMessage['type']) =>
    store.update(async (record) => {
      checkRecord(record);
      return processMessage(record, wire, { kind: 'live' }, only);
    });

  return {
    self,
    peer,

    status() {
      const record = store.read();
      const pending =
        record.pending !== null && isFresh(record.pending.sentAt) ? record.pending : null;
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
        const own = await generateKeyPair(log);
        const xid = await exchangeId(own.publicKey);
        const sentAt = now();
        record.pending = { xid, keyPair: storeKeyPair(own), sentAt };
        log.op('kx-offer', { xid, publicKey: own.publicKey, sentAt });
        const offer: KeyOffer = {
          type: 'kx-offer',
          from: self,
          to: peer,
          publicKey: own.publicKey,
          sentAt,
        };
        return { kind: 'offer', offer: serializeMessage(offer), xid };
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
        const pending = store.read().pending;
        return { kind: 'no-keys', exchangePending: pending !== null && isFresh(pending.sentAt) };
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
        log.op('epoch-current', { epoch: epochKey(newRef), reason: 'refresh' });
        return { kind: 'changed', change: serializeMessage(change), epoch: newRef };
      });
    },

    receive: (wire) => receiveOnly(wire),
    acceptKeyExchange: (offer) => receiveOnly(offer, 'kx-offer'),
    completeKeyExchange: (reply) => receiveOnly(reply, 'kx-reply'),
    decrypt: (message) => receiveOnly(message, 'msg'),
    acceptRefresh: (change) => receiveOnly(change, 'change'),

    decryptHistory(wires) {
      return store.update(async (record) => {
        checkRecord(record);
        const mode: Mode = { kind: 'history', lastCounter: new Map(), changes: new Set() };
        const outcomes: ReceiveOutcome[] = [];
        for (const wire of wires) outcomes.push(await processMessage(record, wire, mode));
        return outcomes;
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
