/**
 * The wire's byte encodings, shared by the browser and the relay: strict base64url (RFC 4648
 * §5, no padding) and big-endian counters.
 */

/** Bytes backed by a plain ArrayBuffer: the type WebCrypto's signatures accept. */
export type Bytes = Uint8Array<ArrayBuffer>;

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Each ASCII character's 6-bit value, or -1: the relay and the browser decode every message. */
const lookup = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i += 1) lookup[alphabet.charCodeAt(i)] = i;

/** Encodes bytes as base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    out += alphabet[b0 >> 2];
    out += alphabet[((b0 & 0x03) << 4) | ((b1 ?? 0) >> 4)];
    if (b1 !== undefined) out += alphabet[((b1 & 0x0f) << 2) | ((b2 ?? 0) >> 6)];
    if (b2 !== undefined) out += alphabet[b2 & 0x3f];
  }
  return out;
}

/**
 * Decodes unpadded base64url. Returns null for anything that is not the canonical encoding of
 * some byte string (wrong alphabet, padding, impossible length, non-zero trailing bits), so each
 * byte string has exactly one accepted text form.
 */
export function fromBase64Url(text: string): Bytes | null {
  const length = text.length;
  const tail = length % 4;
  if (tail === 1) return null;
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  const valueAt = (i: number) => {
    const code = text.charCodeAt(i);
    return code < 128 ? (lookup[code] as number) : -1;
  };
  // Four characters make three bytes; the relay decodes every message, so no per-bit loop.
  let index = 0;
  const whole = length - tail;
  for (let i = 0; i < whole; i += 4) {
    const a = valueAt(i);
    const b = valueAt(i + 1);
    const c = valueAt(i + 2);
    const d = valueAt(i + 3);
    if ((a | b | c | d) < 0) return null;
    const group = (a << 18) | (b << 12) | (c << 6) | d;
    out[index] = group >> 16;
    out[index + 1] = (group >> 8) & 0xff;
    out[index + 2] = group & 0xff;
    index += 3;
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (tail === 2) {
    const a = valueAt(whole);
    const b = valueAt(whole + 1);
    if ((a | b) < 0 || (b & 0x0f) !== 0) return null;
    out[index] = (a << 2) | (b >> 4);
  } else if (tail === 3) {
    const a = valueAt(whole);
    const b = valueAt(whole + 1);
    const c = valueAt(whole + 2);
    if ((a | b | c) < 0 || (c & 0x03) !== 0) return null;
    out[index] = (a << 2) | (b >> 4);
    out[index + 1] = ((b & 0x0f) << 4) | (c >> 2);
  }
  return out;
}

/** The length in characters of the base64url encoding of `byteLength` bytes. */
export function base64UrlLength(byteLength: number): number {
  return Math.ceil((byteLength * 4) / 3);
}

/** Reads big-endian bytes as a number, or null when the value exceeds Number.MAX_SAFE_INTEGER. */
export function readUintBigEndian(bytes: Uint8Array): number | null {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
}
