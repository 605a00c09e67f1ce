/**
 * How much of the protocol's plaintext limit a draft uses (UTF-8 bytes, as the protocol counts
 * them), and whether the composer should show a counter. Pure.
 */
import { MAX_PLAINTEXT_BYTES } from '../protocol/constants.js';

/** The counter appears once a draft uses this share of the limit. */
export const COUNTER_FROM = 0.9;

export interface DraftSize {
  bytes: number;
  /** Bytes still free; negative when over the limit. */
  left: number;
  showCounter: boolean;
  tooLong: boolean;
}

const encoder = new TextEncoder();

export function draftSize(text: string, limit = MAX_PLAINTEXT_BYTES): DraftSize {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a short draft needs no encoding.
  const bytes = text.length * 3 < limit * COUNTER_FROM ? -1 : encoder.encode(text).length;
  if (bytes < 0) return { bytes: -1, left: limit, showCounter: false, tooLong: false };
  return {
    bytes,
    left: limit - bytes,
    showCounter: bytes >= limit * COUNTER_FROM,
    tooLong: bytes > limit,
  };
}

/** The counter's words: "1,234 bytes left" or "12 bytes too many". */
export function counterText(size: DraftSize): string {
  const n = Math.abs(size.left).toLocaleString('en');
  const unit = Math.abs(size.left) === 1 ? 'byte' : 'bytes';
  return size.left >= 0 ? `${n} ${unit} left` : `${n} ${unit} too many`;
}
