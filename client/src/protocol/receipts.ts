/**
 * Delivery and read receipts: end-to-end encrypted control messages (docs/protocol.md,
 * "Receipts"). A receipt travels as an ordinary `msg`, encrypted and MACed under the sender's
 * direction keys with the next counter, so the relay stores and delivers it like any chat
 * message and can neither read nor forge it. Only its plaintext differs:
 *
 *   0xFF ‖ state (0x01 delivered, 0x02 read) ‖ upTo (8 bytes, unsigned big-endian) ‖ mac (32 bytes)
 *
 * 0xFF never occurs in UTF-8, so no chat text can be taken for a receipt or the other way
 * round. `upTo` is the relay id of the newest message of the receipt's *receiver* that the
 * sender decrypted (delivered) or showed in a visible, focused conversation (read); `mac` is
 * that message's MAC, which binds the receipt to exactly that message. One receipt covers every
 * message of the receiver up to that id (the conversation's order is the relay's id order), so
 * a burst of messages costs one receipt, not one each. Pure.
 */
import { MAC_BYTES } from './constants.js';
import { type Bytes, concatBytes, readUintBigEndian, uintBigEndian } from './encoding.js';

export type ReceiptState = 'delivered' | 'read';

export interface Receipt {
  state: ReceiptState;
  /** The relay id of the newest acknowledged message (of the receipt's receiver). */
  upTo: number;
  /** That message's MAC. */
  mac: Bytes;
}

/** The highest relay ids receipts covered, per state (0: none). */
export interface ReceiptMarks {
  delivered: number;
  read: number;
}

/** The first plaintext byte of a control message: never a byte of UTF-8 text. */
export const CONTROL_MARKER = 0xff;
const STATE_CODES: Record<ReceiptState, number> = { delivered: 0x01, read: 0x02 };
const UP_TO_BYTES = 8;
/** A receipt's plaintext length: marker, state, upTo, MAC. */
export const RECEIPT_BYTES = 2 + UP_TO_BYTES + MAC_BYTES;

export function encodeReceipt(receipt: Receipt): Bytes {
  if (!Number.isSafeInteger(receipt.upTo) || receipt.upTo < 1) {
    throw new RangeError('a receipt acknowledges a relay id ≥ 1');
  }
  if (receipt.mac.length !== MAC_BYTES) throw new RangeError('a receipt carries a 32-byte MAC');
  return concatBytes(
    new Uint8Array([CONTROL_MARKER, STATE_CODES[receipt.state]]),
    uintBigEndian(receipt.upTo, UP_TO_BYTES),
    receipt.mac,
  );
}

/** Whether a decrypted plaintext is a control message (not UTF-8 text). */
export function isControl(plaintext: Uint8Array): boolean {
  return plaintext[0] === CONTROL_MARKER;
}

/** The receipt a control plaintext holds; null if it is malformed or of an unknown kind. */
export function decodeReceipt(plaintext: Uint8Array): Receipt | null {
  if (plaintext.length !== RECEIPT_BYTES || plaintext[0] !== CONTROL_MARKER) return null;
  const code = plaintext[1];
  const state: ReceiptState | null = code === 0x01 ? 'delivered' : code === 0x02 ? 'read' : null;
  if (state === null) return null;
  const upTo = readUintBigEndian(plaintext.slice(2, 2 + UP_TO_BYTES));
  if (upTo === null || upTo < 1) return null;
  return { state, upTo, mac: plaintext.slice(2 + UP_TO_BYTES) };
}

/** Raises `marks[state]` to `upTo`; whether it moved. Marks never go down. */
export function raiseMark(marks: ReceiptMarks, state: ReceiptState, upTo: number): boolean {
  if (upTo <= marks[state]) return false;
  marks[state] = upTo;
  return true;
}

/** Whether a receipt (state, upTo) says nothing new: read covers delivered. */
export function covered(marks: ReceiptMarks, state: ReceiptState, upTo: number): boolean {
  return upTo <= marks[state] || (state === 'delivered' && upTo <= marks.read);
}

export function noMarks(): ReceiptMarks {
  return { delivered: 0, read: 0 };
}
