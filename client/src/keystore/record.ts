/**
 * Validation of a conversation record read back from storage. Storage is ours, but it may hold
 * a truncated write, a hand edit or an older format; a record that does not validate is treated
 * as absent (the same as cleared storage), never half-trusted. Fields added to the format since
 * version 1 first shipped (the delivery record, exchange standings…) may be absent from a record
 * an older client wrote: they read as their defaults, so an upgrade keeps every key.
 */

import {
  DELIVERIES_KEPT,
  EXCHANGES_NOTED,
  MAX_WIRE_CHARS,
  UNSTORED_CHANGES_KEPT,
} from '../protocol/constants.js';
import { fromBase64Url } from '../protocol/encoding.js';
import {
  type ConversationRecord,
  type EpochRecord,
  type ExchangeRecord,
  epochKey,
  isUserId,
} from '../protocol/index.js';
import { noMarks } from '../protocol/receipts.js';

type Check = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const counter: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const positive: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 1;
const bytes =
  (length: number): Check =>
  (value) =>
    typeof value === 'string' && fromBase64Url(value)?.length === length;
const xid = bytes(16);
const key = bytes(32);

function shape(value: unknown, fields: Record<string, Check>): boolean {
  return isObject(value) && Object.entries(fields).every(([name, check]) => check(value[name]));
}

const keyPair: Check = (value) => shape(value, { publicKey: bytes(97), privateKey: bytes(48) });
const directionKeys: Check = (value) => shape(value, { encryptionKey: key, macKey: key });
const epochRef: Check = (value) => shape(value, { xid, salt: positive });
const boolean: Check = (value) => typeof value === 'boolean';
const nullOr =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);
/** A field added after version 1 shipped: absent, or valid. */
const later =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const listOf =
  (check: Check, max: number): Check =>
  (value) =>
    Array.isArray(value) && value.length <= max && value.every(check);
/** A protocol message's JSON text, as the relay takes it. */
const wire: Check = (value) =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_WIRE_CHARS;
const standings = new Set(['confirmed', 'unconfirmed', 'disputed', 'lost']);
const pending: Check = (value) =>
  value === null ||
  shape(value, {
    xid,
    keyPair,
    sentAt: counter,
    automatic: later(boolean),
    relayId: later(nullOr(positive)),
  });
const exchange: Check = (value) =>
  shape(value, {
    xid,
    initiator: isUserId,
    ownKeyPair: keyPair,
    peerPublicKey: bytes(97),
    sharedSecret: bytes(48),
    completedAt: counter,
    replaced: later(boolean),
    standing: later((v) => typeof v === 'string' && standings.has(v)),
    automatic: later(boolean),
    recovered: later(boolean),
    replyId: later(nullOr(positive)),
    rivalReplyId: later(nullOr(positive)),
  });
const delivery: Check = (value) =>
  shape(value, { id: positive, mac: bytes(32), own: later((v) => v === true) });
const marks: Check = (value) => shape(value, { delivered: counter, read: counter });
const receipts: Check = (value) => shape(value, { sent: marks, received: marks });
const epoch: Check = (value) =>
  shape(value, {
    xid,
    salt: positive,
    send: directionKeys,
    receive: directionKeys,
    reserved: counter,
    accepted: (v) => shape(v, { peer: counter, own: counter }),
    peerLastIv: (v) => v === null || counter(v),
    changeAccepted: (v) =>
      shape(v, { peer: (b) => typeof b === 'boolean', own: (b) => typeof b === 'boolean' }),
    createdAt: counter,
  });

/** Parses a stored record for (self, peer); null when absent, corrupt or of another version. */
export function parseStoredConversation(
  text: string | null,
  self: string,
  peer: string,
): ConversationRecord | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value.v !== 1 || value.self !== self || value.peer !== peer) return null;
  if (!(value.current === null || epochRef(value.current)) || !pending(value.pending)) return null;
  const { exchanges, epochs } = value;
  if (!isObject(exchanges) || !isObject(epochs)) return null;
  if (!later(listOf(delivery, DELIVERIES_KEPT))(value.delivered)) return null;
  if (!later(listOf(xid, EXCHANGES_NOTED))(value.offered)) return null;
  if (!later(listOf(xid, EXCHANGES_NOTED))(value.elsewhere)) return null;
  if (!later(receipts)(value.receipts)) return null;
  if (!later(listOf(wire, UNSTORED_CHANGES_KEPT))(value.unstoredChanges)) return null;
  for (const [id, record] of Object.entries(exchanges)) {
    if (!exchange(record) || (record as ExchangeRecord).xid !== id) return null;
  }
  for (const [id, record] of Object.entries(epochs)) {
    if (!epoch(record) || epochKey(record as EpochRecord) !== id) return null;
    if (exchanges[(record as EpochRecord).xid] === undefined) return null;
  }
  const current = value.current as ConversationRecord['current'];
  if (current !== null && epochs[epochKey(current)] === undefined) return null;
  return withDefaults(value as unknown as ConversationRecord);
}

/** Fills in the fields a record written before they existed lacks (see the file comment). */
function withDefaults(record: ConversationRecord): ConversationRecord {
  record.delivered ??= [];
  record.offered ??= [];
  record.elsewhere ??= [];
  record.receipts ??= { sent: noMarks(), received: noMarks() };
  record.unstoredChanges ??= [];
  if (record.pending !== null) {
    record.pending.automatic ??= false;
    record.pending.relayId ??= null;
  }
  for (const exchange of Object.values(record.exchanges)) {
    exchange.replaced ??= false;
    // Keys an older client kept were in use before: treat them as shared, as that client did.
    exchange.standing ??= 'confirmed';
    exchange.automatic ??= false;
    exchange.recovered ??= false;
    exchange.replyId ??= null;
    exchange.rivalReplyId ??= null;
  }
  return record;
}
