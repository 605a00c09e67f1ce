import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  base64UrlLength,
  fromBase64Url,
  fromUtf8,
  readUintBigEndian,
  toBase64Url,
  toHex,
  uintBigEndian,
  utf8,
} from './encoding.js';

describe('base64url', () => {
  test('matches Node’s encoder and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(text.length).toBe(base64UrlLength(bytes.length));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  test('rejects padding, the standard alphabet, bad lengths and non-canonical tails', () => {
    expect(fromBase64Url('AA==')).toBeNull();
    expect(fromBase64Url('a+b/')).toBeNull();
    expect(fromBase64Url('A')).toBeNull();
    expect(fromBase64Url('AB')).toBeNull(); // trailing bits set: 'AA' is the canonical form
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]));
    expect(fromBase64Url('')).toEqual(new Uint8Array());
    expect(fromBase64Url('AAAA AAAA')).toBeNull();
  });

  test('every accepted text is the canonical encoding of what it decodes to', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'AQgw_-Zz09=+/ '), maxLength: 12 }),
        (text) => {
          const bytes = fromBase64Url(text);
          if (bytes !== null) expect(toBase64Url(bytes)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('integers and text', () => {
  test('big-endian counters round-trip and reject what does not fit', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(readUintBigEndian(uintBigEndian(n, 12))).toBe(n);
        expect(readUintBigEndian(uintBigEndian(n, 8))).toBe(n);
      }),
      { numRuns: 200 },
    );
    expect(toHex(uintBigEndian(1, 12))).toBe('000000000000000000000001');
    expect(toHex(uintBigEndian(258, 8))).toBe('0000000000000102');
    expect(() => uintBigEndian(256, 1)).toThrow(RangeError);
    expect(() => uintBigEndian(-1, 8)).toThrow(RangeError);
    expect(readUintBigEndian(new Uint8Array(12).fill(0xff))).toBeNull();
  });

  test('UTF-8 round-trips any string; malformed bytes throw', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(fromUtf8(utf8(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
    expect(() => fromUtf8(new Uint8Array([0xc3]))).toThrow();
  });
});
