/**
 * The protocol messages between two users (docs/protocol.md, "Network messages"): their fixed
 * sizes, their shapes, and the one validator both ends use — the relay before it stores a
 * message (server/chat/envelope.ts), the browser before any crypto runs on one it received
 * (client/src/protocol/). Messages are JSON objects with a `type` field and binary fields in
 * unpadded base64url; the validator accepts exactly the four shapes below (no extra or missing
 * fields, exact byte lengths, canonical base64url, bounded sizes) and rejects everything else.
 * The relay never decrypts: MACs and keys are checked in the browser.
 */
import {
  type Bytes,
  base64UrlLength,
  fromBase64Url,
  readUintBigEndian,
  toBase64Url,
} from './encoding.js';

/** The `v` field of every network message and of the stored conversation record. */
export const PROTOCOL_VERSION = 1;
export const PUBLIC_KEY_BYTES = 97; // uncompressed P-384 point: 0x04 || x || y
export const IV_BYTES = 12; // 96-bit AES-GCM IV: the message counter, big-endian
export const TAG_BITS = 128;
export const TAG_BYTES = TAG_BITS / 8;
export const MAC_BYTES = 32; // HMAC-SHA256
export const XID_BYTES = 16; // exchange id: truncated SHA-256 of the initiator's public key
/** Largest UTF-8 plaintext a message may carry. */
export const MAX_PLAINTEXT_BYTES = 16_384;
/** Largest network message (JSON text) the validator parses at all. */
export const MAX_WIRE_CHARS = 32_768;
/** Epoch counters stay well inside 32 bits; one refresh per click makes this unreachable. */
export const MAX_SALT = 0xffff_ffff;
/** Immutable user ids as the server issues them; the charset keeps context strings unambiguous. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Starts a key exchange: the initiator's fresh P-384 public key. */
export interface KeyOffer {
  type: 'kx-offer';
  from: string;
  to: string;
  publicKey: Bytes;
  /** Sender's clock, milliseconds since the Unix epoch: offers older than 60 s are not engaged. */
  sentAt: number;
}

/** Answers an offer (named by its exchange id) with the responder's fresh public key. */
export interface KeyReply {
  type: 'kx-reply';
  from: string;
  to: string;
  xid: string;
  publicKey: Bytes;
  sentAt: number;
}

/** One chat message, encrypted under the key epoch (xid, salt). */
export interface ChatMessage {
  type: 'msg';
  from: string;
  to: string;
  xid: string;
  salt: number;
  iv: Bytes;
  ciphertext: Bytes;
  tag: Bytes;
  mac: Bytes;
}

/** A key refresh: "change" to epoch (xid, salt) from (xid, salt - 1), MACed under both. */
export interface ChangeMessage {
  type: 'change';
  from: string;
  to: string;
  xid: string;
  salt: number;
  lastIv: Bytes;
  macOld: Bytes;
  macNew: Bytes;
}

export type ProtocolMessage = KeyOffer | KeyReply | ChatMessage | ChangeMessage;

const fieldsOf: Record<ProtocolMessage['type'], readonly string[]> = {
  'kx-offer': ['v', 'type', 'from', 'to', 'key', 'sentAt'],
  'kx-reply': ['v', 'type', 'from', 'to', 'xid', 'key', 'sentAt'],
  msg: ['v', 'type', 'from', 'to', 'xid', 'salt', 'iv', 'ct', 'tag', 'mac'],
  change: ['v', 'type', 'from', 'to', 'xid', 'salt', 'lastIv', 'macOld', 'macNew'],
};

/** Serializes a message to its JSON wire form (fields in a fixed order). */
export function serializeMessage(message: ProtocolMessage): string {
  const head = { v: PROTOCOL_VERSION, type: message.type, from: message.from, to: message.to };
  switch (message.type) {
    case 'kx-offer':
      return JSON.stringify({
        ...head,
        key: toBase64Url(message.publicKey),
        sentAt: message.sentAt,
      });
    case 'kx-reply':
      return JSON.stringify({
        ...head,
        xid: message.xid,
        key: toBase64Url(message.publicKey),
        sentAt: message.sentAt,
      });
    case 'msg':
      return JSON.stringify({
        ...head,
        xid: message.xid,
        salt: message.salt,
        iv: toBase64Url(message.iv),
        ct: toBase64Url(message.ciphertext),
        tag: toBase64Url(message.tag),
        mac: toBase64Url(message.mac),
      });
    case 'change':
      return JSON.stringify({
        ...head,
        xid: message.xid,
        salt: message.salt,
        lastIv: toBase64Url(message.lastIv),
        macOld: toBase64Url(message.macOld),
        macNew: toBase64Url(message.macNew),
      });
  }
}

/**
 * Parses and validates a received network message (its JSON text, or the already-parsed
 * value). Returns null for anything that is not exactly one of the four message shapes.
 */
export function parseMessage(input: unknown): ProtocolMessage | null {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > MAX_WIRE_CHARS) return null;
    try {
      value = JSON.parse(input);
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (type !== 'kx-offer' && type !== 'kx-reply' && type !== 'msg' && type !== 'change') {
    return null;
  }
  const expected = fieldsOf[type];
  const present = Object.keys(record);
  if (
    present.length !== expected.length ||
    !expected.every((name) => Object.hasOwn(record, name))
  ) {
    return null;
  }
  if (record.v !== PROTOCOL_VERSION) return null;
  const from = userId(record.from);
  const to = userId(record.to);
  if (from === null || to === null || from === to) return null;

  switch (type) {
    case 'kx-offer': {
      const publicKey = publicKeyField(record.key);
      const sentAt = timestamp(record.sentAt);
      if (publicKey === null || sentAt === null) return null;
      return { type, from, to, publicKey, sentAt };
    }
    case 'kx-reply': {
      const xid = xidField(record.xid);
      const publicKey = publicKeyField(record.key);
      const sentAt = timestamp(record.sentAt);
      if (xid === null || publicKey === null || sentAt === null) return null;
      return { type, from, to, xid, publicKey, sentAt };
    }
    case 'msg': {
      const xid = xidField(record.xid);
      const salt = saltField(record.salt, 1);
      const iv = counterField(record.iv, 1);
      const ciphertext = bytesField(record.ct, 0, MAX_PLAINTEXT_BYTES);
      const tag = bytesField(record.tag, TAG_BYTES, TAG_BYTES);
      const mac = bytesField(record.mac, MAC_BYTES, MAC_BYTES);
      if (xid === null || salt === null || iv === null || ciphertext === null) return null;
      if (tag === null || mac === null) return null;
      return { type, from, to, xid, salt, iv, ciphertext, tag, mac };
    }
    case 'change': {
      const xid = xidField(record.xid);
      const salt = saltField(record.salt, 2);
      const lastIv = counterField(record.lastIv, 0);
      const macOld = bytesField(record.macOld, MAC_BYTES, MAC_BYTES);
      const macNew = bytesField(record.macNew, MAC_BYTES, MAC_BYTES);
      if (xid === null || salt === null || lastIv === null || macOld === null || macNew === null) {
        return null;
      }
      return { type, from, to, xid, salt, lastIv, macOld, macNew };
    }
  }
}

/** Whether a string can serve as a user id in context strings. */
export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

function userId(value: unknown): string | null {
  return isUserId(value) ? value : null;
}

function bytesField(value: unknown, minBytes: number, maxBytes: number): Bytes | null {
  if (typeof value !== 'string' || value.length > base64UrlLength(maxBytes)) return null;
  const bytes = fromBase64Url(value);
  if (bytes === null || bytes.length < minBytes || bytes.length > maxBytes) return null;
  return bytes;
}

function publicKeyField(value: unknown): Bytes | null {
  const bytes = bytesField(value, PUBLIC_KEY_BYTES, PUBLIC_KEY_BYTES);
  return bytes !== null && bytes[0] === 0x04 ? bytes : null;
}

function xidField(value: unknown): string | null {
  return bytesField(value, XID_BYTES, XID_BYTES) === null ? null : (value as string);
}

/** A 96-bit big-endian counter of at least `min` that stays a safe integer. */
function counterField(value: unknown, min: number): Bytes | null {
  const bytes = bytesField(value, IV_BYTES, IV_BYTES);
  if (bytes === null) return null;
  const counter = readUintBigEndian(bytes);
  return counter !== null && counter >= min ? bytes : null;
}

function saltField(value: unknown, min: number): number | null {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= MAX_SALT
    ? (value as number)
    : null;
}

function timestamp(value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : null;
}
