/**
 * Validation of a conversation record read back from storage. Storage is ours, but it may hold
 * a truncated write, a hand edit or an older format; a record that does not validate is treated
 * as absent (the same as cleared storage), never half-trusted.
 */

import { fromBase64Url } from '../protocol/encoding.js';
import {
  type ConversationRecord,
  type EpochRecord,
  type ExchangeRecord,
  epochKey,
  isUserId,
} from '../protocol/index.js';

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
const pending: Check = (value) => value === null || shape(value, { xid, keyPair, sentAt: counter });
const exchange: Check = (value) =>
  shape(value, {
    xid,
    initiator: isUserId,
    ownKeyPair: keyPair,
    peerPublicKey: bytes(97),
    sharedSecret: bytes(48),
    completedAt: counter,
  });
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
  for (const [id, record] of Object.entries(exchanges)) {
    if (!exchange(record) || (record as ExchangeRecord).xid !== id) return null;
  }
  for (const [id, record] of Object.entries(epochs)) {
    if (!epoch(record) || epochKey(record as EpochRecord) !== id) return null;
    if (exchanges[(record as EpochRecord).xid] === undefined) return null;
  }
  const current = value.current as ConversationRecord['current'];
  if (current !== null && epochs[epochKey(current)] === undefined) return null;
  return value as unknown as ConversationRecord;
}
