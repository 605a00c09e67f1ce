/**
 * Every fixed size, limit and context string of the protocol, in one place. docs/protocol.md
 * lists the same values; the known-answer tests pin them.
 */

/** The `v` field of every network message and of the stored conversation record. */
export const PROTOCOL_VERSION = 1;

/** A key-exchange message older than this (by its `sentAt`) is not engaged. */
export const KEY_EXCHANGE_MAX_AGE_MS = 60_000;
/** A key-exchange message dated further than this in the future is not engaged either. */
export const KEY_EXCHANGE_MAX_FUTURE_MS = 60_000;

export const PUBLIC_KEY_BYTES = 97; // uncompressed P-384 point: 0x04 || x || y
export const PRIVATE_KEY_BYTES = 48; // P-384 scalar
export const SHARED_SECRET_BITS = 384; // all of the ECDH x-coordinate
export const KEY_BITS = 256; // each AES-GCM and HMAC key
export const SALT_BYTES = 8; // HKDF salt: the epoch counter as 64-bit big-endian
export const IV_BYTES = 12; // 96-bit AES-GCM IV: the message counter, big-endian
export const TAG_BITS = 128;
export const TAG_BYTES = TAG_BITS / 8;
export const MAC_BYTES = 32; // HMAC-SHA256
export const XID_BYTES = 16; // exchange id: truncated SHA-256 of the initiator's public key

/** Largest UTF-8 plaintext a message may carry. */
export const MAX_PLAINTEXT_BYTES = 16_384;
/** Largest network message (JSON text) the validator parses at all. */
export const MAX_WIRE_CHARS = 32_768;
/**
 * How many accepted messages the conversation record remembers by relay id, so that a second
 * tab's copy of a delivery is recognised (not flagged as a replay). A tab would have to fall this
 * many messages behind another of the same browser to see a false alarm.
 */
export const DELIVERIES_KEPT = 128;
/** How many exchange ids the record keeps of its own offers and of other key stores' exchanges. */
export const EXCHANGES_NOTED = 32;
/** Epoch counters stay well inside 32 bits; one refresh per click makes this unreachable. */
export const MAX_SALT = 0xffff_ffff;

/** Immutable user ids as the server issues them; the charset keeps context strings unambiguous. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

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
