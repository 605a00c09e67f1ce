import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { silentCryptoLog as log } from './crypto-log.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { AuthenticationError } from './errors.js';
import {
  counterOf,
  decryptMessage,
  importDirectionKeys,
  ivFor,
  sealMessage,
  verifyMessageMac,
} from './message-crypto.js';
import type { ChatMessage } from './schema.js';
import { openMessage } from './test-support.js';

const key = () => fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => new Uint8Array(b));
const keys = () => fc.record({ encryption: key(), mac: key() });
const xid = () => fc.uint8Array({ minLength: 16, maxLength: 16 }).map(toBase64Url);
const address = () =>
  fc.record({
    from: fc.constant('alice'),
    to: fc.constant('bob'),
    xid: xid(),
    salt: fc.integer({ min: 1, max: 1000 }),
  });
const counter = () => fc.integer({ min: 1, max: 2 ** 40 });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes);
  copy[Math.floor(bit / 8) % copy.length]! ^= 1 << (bit % 8);
  return copy;
}

/** The message with exactly one bit flipped in one of its authenticated parts. */
function tamper(message: ChatMessage, field: string, bit: number): ChatMessage {
  switch (field) {
    case 'iv':
      return { ...message, iv: flipBit(message.iv, bit) };
    case 'ciphertext':
      return { ...message, ciphertext: flipBit(message.ciphertext, bit) };
    case 'tag':
      return { ...message, tag: flipBit(message.tag, bit) };
    case 'mac':
      return { ...message, mac: flipBit(message.mac, bit) };
    case 'salt':
      return { ...message, salt: message.salt ^ (1 << (bit % 31)) };
    case 'xid':
      return { ...message, xid: toBase64Url(flipBit(fromBase64Url(message.xid)!, bit)) };
    default:
      throw new Error(field);
  }
}

describe('sealMessage / openMessage', () => {
  test('IVs are the 96-bit big-endian counter', () => {
    expect([...ivFor(1)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(counterOf(ivFor(2 ** 40 + 5))).toBe(2 ** 40 + 5);
  });

  test('any message round-trips, with the counter as IV', async () => {
    await fc.assert(
      fc.asyncProperty(
        keys(),
        address(),
        counter(),
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        async (raw, to, n, text) => {
          const handles = await importDirectionKeys(raw);
          const sealed = await sealMessage(to, handles, n, text, log);
          expect(counterOf(sealed.iv)).toBe(n);
          expect(sealed.tag.length).toBe(16);
          expect(sealed.mac.length).toBe(32);
          expect(await openMessage(sealed, handles, log)).toBe(text);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('flipping any bit of IV, ciphertext, tag, MAC or epoch is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(
        keys(),
        address(),
        counter(),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom('iv', 'ciphertext', 'tag', 'mac', 'salt', 'xid'),
        fc.nat({ max: 1023 }),
        async (raw, to, n, text, field, bit) => {
          const handles = await importDirectionKeys(raw);
          const tampered = tamper(await sealMessage(to, handles, n, text, log), field, bit);
          // The MAC catches every one of them, before decryption is even tried…
          expect(await verifyMessageMac(tampered, handles, log)).toBe(false);
          await expect(openMessage(tampered, handles, log)).rejects.toBeInstanceOf(
            AuthenticationError,
          );
          // …and without the MAC, AES-GCM would still refuse all but a flipped MAC.
          if (field !== 'mac') {
            await expect(decryptMessage(tampered, handles, log)).rejects.toBeInstanceOf(
              AuthenticationError,
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test('the other direction’s keys, or another epoch’s, do not open a message', async () => {
    await fc.assert(
      fc.asyncProperty(keys(), keys(), address(), counter(), async (mine, other, to, n) => {
        const sealed = await sealMessage(to, await importDirectionKeys(mine), n, 'hi', log);
        const wrong = await importDirectionKeys(other);
        await expect(openMessage(sealed, wrong, log)).rejects.toBeInstanceOf(AuthenticationError);
        const reversed = { ...sealed, from: sealed.to, to: sealed.from };
        await expect(openMessage(reversed, await importDirectionKeys(mine), log)).rejects.toThrow(
          AuthenticationError,
        );
      }),
      { numRuns: 20 },
    );
  });

  test('the error says nothing about which check failed', async () => {
    const handles = await importDirectionKeys({
      encryption: new Uint8Array(32).fill(1),
      mac: new Uint8Array(32).fill(2),
    });
    const sealed = await sealMessage(
      { from: 'alice', to: 'bob', xid: 'A'.repeat(22), salt: 1 },
      handles,
      1,
      'x',
      log,
    );
    const errors = await Promise.all(
      ['mac', 'tag'].map((field) =>
        openMessage(tamper(sealed, field, 3), handles, log).catch((error: unknown) => error),
      ),
    );
    expect(errors.map(String)).toEqual([
      String(new AuthenticationError()),
      String(new AuthenticationError()),
    ]);
  });
});
