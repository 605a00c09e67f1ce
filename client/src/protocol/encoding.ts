/**
 * Byte encodings used on the wire and in storage: strict base64url (RFC 4648 §5, no padding),
 * UTF-8, fixed-width big-endian integers and hex for the crypto log. The wire's (base64url, reading
 * a counter) are the contract's (contract/encoding.ts), which the relay validates with too.
 */
import type { Bytes } from '../../../contract/encoding.js';

export {
  type Bytes,
  base64UrlLength,
  fromBase64Url,
  readUintBigEndian,
  toBase64Url,
} from '../../../contract/encoding.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string (never `new Uint8Array(string)`, which silently yields zero bytes). */
export function utf8(text: string): Bytes {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing on malformed input. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function concatBytes(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A non-negative safe integer as `width` big-endian bytes (width ≥ 7 holds any safe integer). */
export function uintBigEndian(value: number, width: number): Bytes {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a counter: ${value}`);
  const out = new Uint8Array(width);
  let rest = BigInt(value);
  for (let i = width - 1; i >= 0; i -= 1) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw new RangeError(`${value} does not fit in ${width} bytes`);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
