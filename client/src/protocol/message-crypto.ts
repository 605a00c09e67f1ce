/**
 * Encryption of one chat message under one direction's keys. AES-256-GCM with the message
 * counter as the 96-bit IV, a 128-bit tag and the context (direction + epoch) as associated
 * data; then HMAC-SHA256 under the direction's MAC key over the context, the IV, the ciphertext
 * and the tag, so nobody without the MAC key can choose or alter an IV.
 *
 *   context = "CHAT_MSG_<from>to<to>:<xid>:<salt>"
 *   mac     = HMAC(macKey, u16be(len(context)) || context || iv || ciphertext || tag)
 */
import { IV_BYTES, messageContext, TAG_BITS, TAG_BYTES } from './constants.js';
import type { CryptoLog } from './crypto-log.js';
import type { DirectionKeys } from './derive.js';
import {
  type Bytes,
  concatBytes,
  fromUtf8,
  readUintBigEndian,
  toHex,
  uintBigEndian,
  utf8,
} from './encoding.js';
import { AuthenticationError } from './errors.js';
import { isControl } from './receipts.js';
import type { ChatMessage } from './schema.js';

/** A direction's keys imported into WebCrypto, with the raw bytes kept for the log. */
export interface DirectionKeyHandles {
  raw: DirectionKeys;
  encryption: CryptoKey;
  mac: CryptoKey;
}

/** Which direction and epoch a message belongs to. */
export interface MessageAddress {
  from: string;
  to: string;
  xid: string;
  salt: number;
}

export async function importDirectionKeys(raw: DirectionKeys): Promise<DirectionKeyHandles> {
  const [encryption, mac] = await Promise.all([
    crypto.subtle.importKey('raw', raw.encryption, 'AES-GCM', false, ['encrypt', 'decrypt']),
    crypto.subtle.importKey('raw', raw.mac, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]),
  ]);
  return { raw, encryption, mac };
}

/** The 96-bit IV for message counter `counter` (1, 2, 3, …): 12 bytes big-endian. */
export function ivFor(counter: number): Bytes {
  return uintBigEndian(counter, IV_BYTES);
}

/** The counter an IV encodes (validated messages always hold a safe integer). */
export function counterOf(iv: Uint8Array): number {
  const counter = readUintBigEndian(iv);
  if (counter === null) throw new RangeError('IV counter out of range');
  return counter;
}

function macInput(context: Bytes, iv: Bytes, ciphertext: Bytes, tag: Bytes): Bytes {
  return concatBytes(uintBigEndian(context.length, 2), context, iv, ciphertext, tag);
}

/** How the log shows a plaintext: text as it is, a control message (receipts.ts) as hex. */
const shown = (plaintext: string | Uint8Array): string =>
  typeof plaintext === 'string' ? plaintext : `control:${toHex(plaintext)}`;

/**
 * Encrypts `plaintext` as message number `counter` of this direction and epoch: a chat text, or
 * the bytes of a control message (a receipt), which go exactly the same way.
 */
export async function sealMessage(
  address: MessageAddress,
  keys: DirectionKeyHandles,
  counter: number,
  plaintext: string | Bytes,
  log: CryptoLog,
): Promise<ChatMessage> {
  const context = utf8(messageContext(address.from, address.to, address.xid, address.salt));
  const iv = ivFor(counter);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: context, tagLength: TAG_BITS },
      keys.encryption,
      typeof plaintext === 'string' ? utf8(plaintext) : plaintext,
    ),
  );
  const ciphertext = sealed.slice(0, sealed.length - TAG_BYTES);
  const tag = sealed.slice(sealed.length - TAG_BYTES);
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', keys.mac, macInput(context, iv, ciphertext, tag)),
  );
  log.op('encrypt', {
    epoch: `${address.xid}.${address.salt}`,
    dir: `${address.from}->${address.to}`,
    iv,
    key: keys.raw.encryption,
    aad: fromUtf8(context),
    plaintext: shown(plaintext),
    ciphertext,
    tag,
  });
  log.op('mac-sign', { iv, macKey: keys.raw.mac, mac });
  return { type: 'msg', ...address, iv, ciphertext, tag, mac };
}

/** Step 1 of receiving: whether the MAC over context, IV, ciphertext and tag is valid. */
export async function verifyMessageMac(
  message: ChatMessage,
  keys: DirectionKeyHandles,
  log: CryptoLog,
): Promise<boolean> {
  const context = utf8(messageContext(message.from, message.to, message.xid, message.salt));
  const valid = await crypto.subtle.verify(
    'HMAC',
    keys.mac,
    message.mac,
    macInput(context, message.iv, message.ciphertext, message.tag),
  );
  log.op('mac-verify', {
    iv: message.iv,
    macKey: keys.raw.mac,
    mac: message.mac,
    valid: `${valid}`,
  });
  return valid;
}

/**
 * Step 3 of receiving (after the MAC and the IV order): AES-GCM decryption. A chat text comes
 * back as a string, a control message (first byte 0xFF, never UTF-8) as its bytes.
 */
export async function decryptPayload(
  message: ChatMessage,
  keys: DirectionKeyHandles,
  log: CryptoLog,
): Promise<string | Bytes> {
  const context = utf8(messageContext(message.from, message.to, message.xid, message.salt));
  let plaintext: string | Bytes;
  try {
    const opened = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: message.iv, additionalData: context, tagLength: TAG_BITS },
        keys.encryption,
        concatBytes(message.ciphertext, message.tag),
      ),
    );
    plaintext = isControl(opened) ? opened : fromUtf8(opened);
  } catch {
    throw new AuthenticationError();
  }
  log.op('decrypt', {
    epoch: `${message.xid}.${message.salt}`,
    dir: `${message.from}->${message.to}`,
    iv: message.iv,
    key: keys.raw.encryption,
    ciphertext: message.ciphertext,
    plaintext: shown(plaintext),
  });
  return plaintext;
}

/** `decryptPayload` for a chat text: a control message is no text (AuthenticationError). */
export async function decryptMessage(
  message: ChatMessage,
  keys: DirectionKeyHandles,
  log: CryptoLog,
): Promise<string> {
  const plaintext = await decryptPayload(message, keys, log);
  if (typeof plaintext !== 'string') throw new AuthenticationError();
  return plaintext;
}
