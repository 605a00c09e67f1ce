/**
 * Every fixed size, limit and context string of the protocol, in one place. docs/protocol.md
 * lists the same values; the known-answer tests pin them. The sizes of the network messages are
 * the contract's (contract/protocol.ts), which the relay validates with too.
 */
export {
  IV_BYTES,
  MAC_BYTES,
  MAX_PLAINTEXT_BYTES,
  MAX_SALT,
  MAX_WIRE_CHARS,
  PROTOCOL_VERSION,
  PUBLIC_KEY_BYTES,
  TAG_BITS,
  TAG_BYTES,
  USER_ID_PATTERN,
  XID_BYTES,
} from '../../../contract/protocol.js';

/** A key-exchange message older than this (by its `sentAt`) is not engaged. */
export const KEY_EXCHANGE_MAX_AGE_MS = 60_000;
/** A key-exchange message dated further than this in the future is not engaged either. */
export const KEY_EXCHANGE_MAX_FUTURE_MS = 60_000;

export const PRIVATE_KEY_BYTES = 48; // P-384 scalar
export const SHARED_SECRET_BITS = 384; // all of the ECDH x-coordinate
export const KEY_BITS = 256; // each AES-GCM and HMAC key
export const SALT_BYTES = 8; // HKDF salt: the epoch counter as 64-bit big-endian

/**
 * How many accepted messages the conversation record remembers by relay id, so that a second
 * tab's copy of a delivery is recognised (not flagged as a replay). A tab would have to fall this
 * many messages behind another of the same browser to see a false alarm.
 */
export const DELIVERIES_KEPT = 128;
/** How many exchange ids the record keeps of its own offers and of other key stores' exchanges. */
export const EXCHANGES_NOTED = 32;

export const XID_LABEL = 'PARLEY_XID';

/** HKDF info of the AES-GCM key for messages from `from` to `to`. */
export function encryptionKeyInfo(from: string, to: string): string {
  return `CHAT_KEY_${from}to${to}`;
}

/** HKDF info of the HMAC key for messages from `from` to `to`. */
export function macKeyInfo(from: string, to: string): string {
  return `CHAT_MAC_${from}to${to}`;
}

/** AES-GCM associated data of a chat message: direction and key epoch. */
export function messageContext(from: string, to: string, xid: string, salt: number): string {
  return `CHAT_MSG_${from}to${to}:${xid}:${salt}`;
}

/** The context MACed in a "change" (refresh) message: direction, exchange, old and new salt. */
export function changeContext(from: string, to: string, xid: string, newSalt: number): string {
  return `CHAT_CHANGE_${from}to${to}:${xid}:${newSalt - 1}:${newSalt}`;
}

/** Change messages (Refresh) a key store keeps while the relay has not acknowledged them. */
export const UNSTORED_CHANGES_KEPT = 16;
