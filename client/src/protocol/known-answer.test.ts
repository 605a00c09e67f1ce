/**
 * Known-answer tests. The vectors below were computed with an independent implementation
 * (@noble/curves for P-384 ECDH, @noble/hashes for HKDF-SHA256 and HMAC-SHA256, node:crypto for
 * AES-256-GCM) from two fixed private keys; the first test recomputes them that way, the others
 * check that the protocol's WebCrypto code produces exactly the same bytes. docs/protocol.md
 * lists the same vectors.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { p384 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, test } from 'vitest';
import { signChange } from './change.js';
import { silentCryptoLog as log } from './crypto-log.js';
import { deriveEpochKeys, saltBytes } from './derive.js';
import { deriveSharedSecret, exchangeId } from './ecdh.js';
import { concatBytes, toBase64Url, toHex, utf8 } from './encoding.js';
import {
  decryptPayload,
  importDirectionKeys,
  sealMessage,
  verifyMessageMac,
} from './message-crypto.js';
import { decodeReceipt, encodeReceipt } from './receipts.js';
import { parseMessage, serializeMessage } from './schema.js';
import { openMessage } from './test-support.js';

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

/** Alice initiates (her key is in the offer), Bob replies. User ids "alice" and "bob". */
const V = {
  alicePrivate:
    'ed0872303a6e8300160a2fa7b5a5bc91beaec456f6f6772fa3df1a766295f47198670320b0a1cc78a831aa1e0fd03769',
  alicePublic:
    '048834a2eaef26e8b3744699e9f3dba4decc8d1d8aeb696ea44d6bb7dfba09231e67a63d323ddb1f22b33604bfdb0b748b299bbe2f436ad0dcf452bdc3019234c150069d1f271da85a700c38cdc992af586be4dd8345c4fe6c93bc84b6afd47430',
  bobPrivate:
    '1a04a0de1663c8b5e1075c484f5e37d82d06742104b8cf6c3be5e612f2ba508cb9cac7256c0847a0358569b00f5d586a',
  bobPublic:
    '044e90e6ad77c6b0617e8e715199333ddd57e23549580112a884ad5a089ac11d7821cf5d00a0c8bb4291a79e5c6d4976a221eee493740cef28f1810b2e1cc7e3b0d98844025ae6ac89137e81d44de99490d7c6ed0b119cd4d31e28e017a61202e0',
  sharedSecret:
    'dfeda91623acb9a02e7405ed564710f95b2e37c7e657e591ba3be2eb0836338b9e5503af713fc9d55d0c489d809a4a6d',
  xid: 'IUTEf3HDncnPxk8oFZjrJw',
  keys: {
    1: {
      CHAT_KEY_alicetobob: '9f580bcb6a8b3600859bd04ba98a9d8a5dce44251cef81d81d3fefe5c1911a4a',
      CHAT_MAC_alicetobob: 'ef7b46b2b66fb3fca923f3a6f92885e8750853a22e84bf065f18d9755b5410f4',
      CHAT_KEY_bobtoalice: '62139601ce21889287466de165d6e16fc6652dd6a178460ae875070549679986',
      CHAT_MAC_bobtoalice: '7477317d50025421946936035673bd7261f016173bca417cf05fa27140324f44',
    },
    2: {
      CHAT_KEY_alicetobob: '7cf4b4afca3e56d108485953418191b303b6707a64af8385ca0204bb21f4855e',
      CHAT_MAC_alicetobob: 'c7f8decf99fc3c9128f15df1d4cf5e6e8f63f15c27659013cd69208365d53704',
      CHAT_KEY_bobtoalice: '81d6f7f003b4ba22e34ff711d3050045ea9226f808811c76e4d47e06be018928',
      CHAT_MAC_bobtoalice: 'e383fff8511ab48a33d4ec8f81bf010ff7e039359146b85ec2931c5c019e2067',
    },
  },
  /** Alice → Bob, epoch (xid, 1), counter 1. */
  plaintext: 'Hello Bob! ✓ ünïcødé',
  aad: 'CHAT_MSG_alicetobob:IUTEf3HDncnPxk8oFZjrJw:1',
  ciphertext: '27ad7fce8326dbe5572da49e00935b020e5c8f4f19d935df7108',
  tag: 'dd33f77bd250937def0c198298ed738c',
  mac: 'c0f7e03709f713ea84231a4470f2768b10cb8fe8be2ddae86a821fe895972b9c',
  messageWire:
    '{"v":1,"type":"msg","from":"alice","to":"bob","xid":"IUTEf3HDncnPxk8oFZjrJw","salt":1,"iv":"AAAAAAAAAAAAAAAB","ct":"J61_zoMm2-VXLaSeAJNbAg5cj08Z2TXfcQg","tag":"3TP3e9JQk33vDBmCmO1zjA","mac":"wPfgNwn3E-qEIxpEcPJ2ixDLj-i-LdroaoIf6JWXK5w"}',
  /** Alice refreshes from epoch 1 to 2 after using IV 1. */
  changeWire:
    '{"v":1,"type":"change","from":"alice","to":"bob","xid":"IUTEf3HDncnPxk8oFZjrJw","salt":2,"lastIv":"AAAAAAAAAAAAAAAB","macOld":"w6VPodKxTOhCXzdcujzpyIKinI8mb8fHtHCWBdlsQGU","macNew":"lNNr3AjCsm8k1BcBdQ0FG5kic8M5TYKIMfzlBx7zngE"}',
  /**
   * Bob's first message back, epoch (xid, 1), counter 1: a receipt, "delivered up to relay id
   * 41", where 41 is the message above (its MAC).
   */
  receiptPlaintext:
    'ff010000000000000029c0f7e03709f713ea84231a4470f2768b10cb8fe8be2ddae86a821fe895972b9c',
  receiptAad: 'CHAT_MSG_bobtoalice:IUTEf3HDncnPxk8oFZjrJw:1',
  receiptCiphertext:
    '1de72edcc4bcc6bc07d0702bcacd368a05d74becbfb25b426669ebe839e8ebe9d8737be8aac004928332',
  receiptTag: 'a09a9c1120080405ea2f3fc88f0effbb',
  receiptMac: '9128f257a50418a13c1e24f2b3a998722adb1780b4a86f4c30b300f60a8a3a28',
  receiptWire:
    '{"v":1,"type":"msg","from":"bob","to":"alice","xid":"IUTEf3HDncnPxk8oFZjrJw","salt":1,"iv":"AAAAAAAAAAAAAAAB","ct":"Hecu3MS8xrwH0HArys02igXXS-y_sltCZmnr6Dno6-nYc3voqsAEkoMy","tag":"oJqcESAIBAXqLz_Ijw7_uw","mac":"kSjyV6UEGKE8HiTys6mYcirbF4C0qG9MMLMA9gqKOig"}',
} as const;

const alice = { publicKey: hex(V.alicePublic), privateKey: hex(V.alicePrivate) };
const bob = { publicKey: hex(V.bobPublic), privateKey: hex(V.bobPrivate) };
const iv1 = hex('000000000000000000000001');
const u16 = (n: number) => new Uint8Array([n >> 8, n & 0xff]);

describe('the independent implementation reproduces the vectors', () => {
  test('ECDH (noble), HKDF and HMAC (noble), AES-GCM (node:crypto)', () => {
    expect(toHex(p384.getPublicKey(alice.privateKey, false))).toBe(V.alicePublic);
    expect(toHex(p384.getPublicKey(bob.privateKey, false))).toBe(V.bobPublic);
    const secret = p384.getSharedSecret(alice.privateKey, bob.publicKey, true).slice(1);
    expect(toHex(secret)).toBe(V.sharedSecret);
    expect(toHex(p384.getSharedSecret(bob.privateKey, alice.publicKey, true).slice(1))).toBe(
      V.sharedSecret,
    );
    expect(toBase64Url(sha256(concatBytes(utf8('PARLEY_XID'), alice.publicKey)).slice(0, 16))).toBe(
      V.xid,
    );
    for (const salt of [1, 2] as const) {
      for (const [info, expected] of Object.entries(V.keys[salt])) {
        expect(toHex(hkdf(sha256, secret, saltBytes(salt), utf8(info), 32))).toBe(expected);
      }
    }
    const cipher = createCipheriv('aes-256-gcm', hex(V.keys[1].CHAT_KEY_alicetobob), iv1);
    cipher.setAAD(utf8(V.aad));
    const ciphertext = Buffer.concat([cipher.update(utf8(V.plaintext)), cipher.final()]);
    expect(ciphertext.toString('hex')).toBe(V.ciphertext);
    expect(cipher.getAuthTag().toString('hex')).toBe(V.tag);
    const aad = utf8(V.aad);
    const macInput = concatBytes(u16(aad.length), aad, iv1, hex(V.ciphertext), hex(V.tag));
    expect(toHex(hmac(sha256, hex(V.keys[1].CHAT_MAC_alicetobob), macInput))).toBe(V.mac);
    const decipher = createDecipheriv('aes-256-gcm', hex(V.keys[1].CHAT_KEY_bobtoalice), iv1);
    decipher.setAAD(aad);
    decipher.setAuthTag(hex(V.tag));
    decipher.update(hex(V.ciphertext));
    expect(() => decipher.final()).toThrow(); // the other direction's key cannot open it
  });

  test('the receipt: plaintext layout, AES-GCM (node:crypto), HMAC (noble)', () => {
    const upTo = Buffer.alloc(8);
    upTo.writeBigUInt64BE(41n);
    const plaintext = concatBytes(new Uint8Array([0xff, 0x01]), upTo, hex(V.mac));
    expect(toHex(plaintext)).toBe(V.receiptPlaintext);
    const cipher = createCipheriv('aes-256-gcm', hex(V.keys[1].CHAT_KEY_bobtoalice), iv1);
    cipher.setAAD(utf8(V.receiptAad));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    expect(ciphertext.toString('hex')).toBe(V.receiptCiphertext);
    expect(cipher.getAuthTag().toString('hex')).toBe(V.receiptTag);
    const aad = utf8(V.receiptAad);
    const macInput = concatBytes(u16(aad.length), aad, iv1, ciphertext, hex(V.receiptTag));
    expect(toHex(hmac(sha256, hex(V.keys[1].CHAT_MAC_bobtoalice), macInput))).toBe(V.receiptMac);
  });
});

describe('the protocol (WebCrypto) matches the vectors', () => {
  test('shared secret from either side and the exchange id', async () => {
    expect(toHex((await deriveSharedSecret(alice, bob.publicKey, log))!)).toBe(V.sharedSecret);
    expect(toHex((await deriveSharedSecret(bob, alice.publicKey, log))!)).toBe(V.sharedSecret);
    expect(await exchangeId(alice.publicKey)).toBe(V.xid);
  });

  test('the four keys of epochs 1 and 2, seen from both sides', async () => {
    const secret = hex(V.sharedSecret);
    for (const salt of [1, 2] as const) {
      const a = await deriveEpochKeys({ secret, salt, self: 'alice', peer: 'bob' }, log);
      const b = await deriveEpochKeys({ secret, salt, self: 'bob', peer: 'alice' }, log);
      expect(toHex(a.send.encryption)).toBe(V.keys[salt].CHAT_KEY_alicetobob);
      expect(toHex(a.send.mac)).toBe(V.keys[salt].CHAT_MAC_alicetobob);
      expect(toHex(a.receive.encryption)).toBe(V.keys[salt].CHAT_KEY_bobtoalice);
      expect(toHex(a.receive.mac)).toBe(V.keys[salt].CHAT_MAC_bobtoalice);
      expect(b.send).toEqual(a.receive);
      expect(b.receive).toEqual(a.send);
    }
  });

  test('all derived keys differ: four per epoch, and across epochs', async () => {
    const secret = hex(V.sharedSecret);
    const all: string[] = [];
    for (const salt of [1, 2, 3]) {
      const k = await deriveEpochKeys({ secret, salt, self: 'alice', peer: 'bob' }, log);
      all.push(...[k.send.encryption, k.send.mac, k.receive.encryption, k.receive.mac].map(toHex));
    }
    expect(new Set(all).size).toBe(12);
    // The bug this guards against: `new Uint8Array("CHAT_KEY_…")` is an EMPTY info, so every
    // key of an epoch would come out the same.
    const emptyInfo = new Uint8Array('CHAT_KEY_alicetobob' as unknown as ArrayLike<number>);
    expect(emptyInfo.length).toBe(0);
    expect(utf8('CHAT_KEY_alicetobob').length).toBe(19);
  });

  test('one encrypted message, byte for byte, and Bob opens it', async () => {
    const sendKeys = await importDirectionKeys({
      encryption: hex(V.keys[1].CHAT_KEY_alicetobob),
      mac: hex(V.keys[1].CHAT_MAC_alicetobob),
    });
    const address = { from: 'alice', to: 'bob', xid: V.xid, salt: 1 };
    const sealed = await sealMessage(address, sendKeys, 1, V.plaintext, log);
    expect(toHex(sealed.ciphertext)).toBe(V.ciphertext);
    expect(toHex(sealed.tag)).toBe(V.tag);
    expect(toHex(sealed.mac)).toBe(V.mac);
    expect(serializeMessage(sealed)).toBe(V.messageWire);
    const parsed = parseMessage(V.messageWire);
    expect(parsed?.type).toBe('msg');
    if (parsed?.type !== 'msg') return;
    expect(await openMessage(parsed, sendKeys, log)).toBe(V.plaintext);
  });

  test('the change message of a refresh from epoch 1 to 2', async () => {
    const keysOf = (salt: 1 | 2) =>
      importDirectionKeys({
        encryption: hex(V.keys[salt].CHAT_KEY_alicetobob),
        mac: hex(V.keys[salt].CHAT_MAC_alicetobob),
      });
    const change = await signChange(
      { from: 'alice', to: 'bob', xid: V.xid, salt: 2 },
      1,
      await keysOf(1),
      await keysOf(2),
      log,
    );
    expect(serializeMessage(change)).toBe(V.changeWire);
  });

  test('the receipt, byte for byte, and Alice opens it', async () => {
    const bobSend = await importDirectionKeys({
      encryption: hex(V.keys[1].CHAT_KEY_bobtoalice),
      mac: hex(V.keys[1].CHAT_MAC_bobtoalice),
    });
    const plaintext = encodeReceipt({ state: 'delivered', upTo: 41, mac: hex(V.mac) });
    expect(toHex(plaintext)).toBe(V.receiptPlaintext);
    const address = { from: 'bob', to: 'alice', xid: V.xid, salt: 1 };
    const sealed = await sealMessage(address, bobSend, 1, plaintext, log);
    expect(serializeMessage(sealed)).toBe(V.receiptWire);
    const parsed = parseMessage(V.receiptWire);
    if (parsed?.type !== 'msg') throw new Error('the receipt is a msg');
    expect(await verifyMessageMac(parsed, bobSend, log)).toBe(true);
    const opened = await decryptPayload(parsed, bobSend, log);
    expect(opened).toBeInstanceOf(Uint8Array);
    const receipt = decodeReceipt(opened as Uint8Array);
    expect(receipt?.state).toBe('delivered');
    expect(receipt?.upTo).toBe(41);
    expect(toHex(receipt?.mac ?? new Uint8Array())).toBe(V.mac);
    // As a chat text it is no message at all: openMessage refuses it.
    await expect(openMessage(parsed, bobSend, log)).rejects.toThrow();
  });
});

describe('docs/protocol.md', () => {
  const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

  test('every wire example validates, and the msg and change examples are these vectors', () => {
    const examples = [...doc.matchAll(/```json\n(\{"v":1,[^\n]*\})\n```/g)].map((m) => m[1]!);
    expect(examples.map((json) => parseMessage(json)?.type)).toEqual([
      'kx-offer',
      'kx-reply',
      'msg',
      'change',
      'msg',
    ]);
    expect(examples).toContain(V.messageWire);
    expect(examples).toContain(V.changeWire);
    expect(examples).toContain(V.receiptWire);
    expect(JSON.parse(examples[0]!).key).toBe(toBase64Url(alice.publicKey));
    expect(JSON.parse(examples[1]!).key).toBe(toBase64Url(bob.publicKey));
  });

  test('lists every vector value', () => {
    const values = [
      V.alicePrivate,
      V.alicePublic,
      V.bobPrivate,
      V.bobPublic,
      V.sharedSecret,
      V.xid,
      ...Object.values(V.keys[1]),
      ...Object.values(V.keys[2]),
      V.plaintext,
      V.aad,
      V.ciphertext,
      V.tag,
      V.mac,
      V.receiptPlaintext,
      V.receiptAad,
      V.receiptCiphertext,
      V.receiptTag,
      V.receiptMac,
    ];
    for (const value of values) expect(doc).toContain(value);
  });
});
