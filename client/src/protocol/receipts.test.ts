/**
 * Receipts (docs/protocol.md, "Receipts"): the control-message encoding, and receipts through
 * the conversation state machine: sent once per browser, accepted only for our own message by
 * relay id and MAC, and a replayed, forged or misdirected receipt changes nothing.
 */
import { describe, expect, test } from 'vitest';
import { createMemoryLocks } from '../keystore/locks.js';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { importDirectionKeys, sealMessage } from './message-crypto.js';
import {
  CONTROL_MARKER,
  covered,
  decodeReceipt,
  encodeReceipt,
  noMarks,
  RECEIPT_BYTES,
} from './receipts.js';
import { parseMessage, serializeMessage } from './schema.js';
import { asStored, exchangeKeys, party, send, testClock } from './test-support.js';

const mac32 = new Uint8Array(32).fill(7);

describe('the control-message encoding', () => {
  test('round trip, both states, up to the largest relay id', () => {
    for (const state of ['delivered', 'read'] as const) {
      for (const upTo of [1, 41, Number.MAX_SAFE_INTEGER]) {
        const bytes = encodeReceipt({ state, upTo, mac: mac32 });
        expect(bytes.length).toBe(RECEIPT_BYTES);
        expect(bytes[0]).toBe(CONTROL_MARKER);
        const back = decodeReceipt(bytes);
        expect(back?.state).toBe(state);
        expect(back?.upTo).toBe(upTo);
        expect(back?.mac).toEqual(mac32);
      }
    }
  });

  test('malformed control messages decode to null', () => {
    const good = encodeReceipt({ state: 'read', upTo: 5, mac: mac32 });
    expect(decodeReceipt(good.slice(0, -1))).toBeNull();
    expect(decodeReceipt(new Uint8Array([...good, 0]))).toBeNull();
    const unknownKind = good.slice();
    unknownKind[1] = 0x03;
    expect(decodeReceipt(unknownKind)).toBeNull();
    const zero = good.slice();
    zero.fill(0, 2, 10);
    expect(decodeReceipt(zero)).toBeNull();
    const huge = good.slice();
    huge.fill(0xff, 2, 10);
    expect(decodeReceipt(huge)).toBeNull();
    expect(() => encodeReceipt({ state: 'read', upTo: 0, mac: mac32 })).toThrow(RangeError);
  });

  test('no chat text encodes to a control message: UTF-8 never holds 0xFF', () => {
    const texts = [
      '\u00ff',
      '\uffff',
      '\ud83d\ude00',
      '\ud800',
      'ÿ hello',
      String.fromCharCode(255),
    ];
    for (const text of texts) expect(utf8(text).includes(CONTROL_MARKER)).toBe(false);
  });

  test('read covers delivered, not the other way round', () => {
    const marks = { ...noMarks(), read: 10 };
    expect(covered(marks, 'delivered', 9)).toBe(true);
    expect(covered(marks, 'read', 10)).toBe(true);
    expect(covered(marks, 'read', 11)).toBe(false);
    expect(covered({ delivered: 10, read: 0 }, 'read', 5)).toBe(false);
  });
});

/** Alice and Bob with keys; Alice's message stored as relay id 10 and received by Bob. */
async function afterOneMessage() {
  const clock = testClock();
  const alice = party('alice', 'bob', clock);
  const bob = party('bob', 'alice', clock);
  await exchangeKeys(alice, bob);
  const wire = await send(alice.chat, 'hello');
  await alice.chat.acknowledged(wire, 10);
  const got = await bob.chat.receive(wire, 10);
  expect(got.kind).toBe('plaintext');
  return { clock, alice, bob, wire };
}

async function receiptWire(
  from: ReturnType<typeof party>,
  state: 'delivered' | 'read',
  upTo: number,
) {
  const out = await from.chat.encryptReceipt(state, upTo);
  if (out.kind !== 'encrypted') throw new Error(`expected a receipt, got ${out.kind}`);
  return out.wire;
}

describe('receipts through the conversation', () => {
  test("Bob's delivered then read receipts move Alice's marks; never a chat text", async () => {
    const { alice, bob } = await afterOneMessage();
    expect(alice.chat.receiptMarks()).toEqual({ delivered: 0, read: 0 });
    const delivered = await receiptWire(bob, 'delivered', 10);
    // An ordinary chat message on the wire: the relay cannot tell it from a text but by size.
    expect(parseMessage(delivered)?.type).toBe('msg');
    expect(await alice.chat.receive(delivered, 11)).toEqual({
      kind: 'receipt',
      from: 'bob',
      state: 'delivered',
      upTo: 10,
    });
    expect(alice.chat.receiptMarks()).toEqual({ delivered: 10, read: 0 });
    const read = await receiptWire(bob, 'read', 10);
    expect((await alice.chat.receive(read, 12)).kind).toBe('receipt');
    expect(alice.chat.receiptMarks()).toEqual({ delivered: 10, read: 10 });
    // The receipts use Bob's counters like texts: his next text follows them.
    const text = parseMessage(await send(bob.chat, 'hi'));
    expect(text?.type === 'msg' && text.iv[11]).toBe(3);
  });

  test('once per browser: a second tab, or the same receipt again, has nothing to send', async () => {
    const { bob } = await afterOneMessage();
    await receiptWire(bob, 'delivered', 10);
    expect((await bob.chat.encryptReceipt('delivered', 10)).kind).toBe('covered');
    const tab2 = bob.newTab();
    expect((await tab2.encryptReceipt('delivered', 10)).kind).toBe('covered');
    await receiptWire(bob, 'read', 10);
    expect((await tab2.encryptReceipt('read', 10)).kind).toBe('covered');
    // Nothing is acknowledged that Bob did not accept, nor Bob's own message.
    expect((await bob.chat.encryptReceipt('read', 99)).kind).toBe('unknown-message');
    const own = await send(bob.chat, 'mine');
    await bob.chat.acknowledged(own, 13);
    expect((await bob.chat.encryptReceipt('read', 13)).kind).toBe('unknown-message');
  });

  test("the echo of Bob's receipt in his other browser tab: from self, tells it what was said", async () => {
    const clock = testClock();
    const alice = party('alice', 'bob', clock);
    const bob = party('bob', 'alice', clock);
    await exchangeKeys(alice, bob);
    const wire = await send(alice.chat, 'hello');
    await bob.chat.receive(wire, 10);
    const receipt = await receiptWire(bob, 'delivered', 10);
    await bob.chat.acknowledged(receipt, 11);
    const tab2 = bob.newTab();
    expect(await tab2.receive(receipt, 11)).toEqual({
      kind: 'receipt',
      from: 'bob',
      state: 'delivered',
      upTo: 10,
      alreadyAccepted: true,
    });
  });

  test('a replayed receipt is rejected, live and in history, and changes nothing', async () => {
    const { alice, bob, wire } = await afterOneMessage();
    const delivered = await receiptWire(bob, 'delivered', 10);
    await alice.chat.receive(delivered, 11);
    const marks = alice.chat.receiptMarks();
    const replay = await alice.chat.receive(delivered, 20);
    expect(replay.kind).toBe('rejected-replay');
    expect(alice.chat.receiptMarks()).toEqual(marks);
    // Read again in history (a reload), with the copy the server added: the copy is flagged.
    const history = await alice.newTab().decryptHistory([
      { id: 10, payload: wire },
      { id: 11, payload: delivered },
      { id: 20, payload: delivered },
    ]);
    expect(history.map((o) => o.kind)).toEqual(['plaintext', 'receipt', 'rejected-replay']);
  });

  test('a forged receipt (the server has no MAC key) is invalid and changes nothing', async () => {
    const { alice, bob } = await afterOneMessage();
    const delivered = JSON.parse(await receiptWire(bob, 'read', 10));
    const before = JSON.stringify(alice.storage.entries());
    const forgedMac = { ...delivered, mac: toBase64Url(new Uint8Array(32)) };
    expect((await alice.chat.receive(JSON.stringify(forgedMac), 11)).kind).toBe('invalid');
    const ct = fromBase64Url(delivered.ct)!;
    ct[2] = (ct[2] ?? 0) ^ 1; // flip one bit of upTo
    const forgedCt = { ...delivered, ct: toBase64Url(ct) };
    expect((await alice.chat.receive(JSON.stringify(forgedCt), 12)).kind).toBe('invalid');
    expect(JSON.stringify(alice.storage.entries())).toBe(before);
    expect(alice.chat.receiptMarks()).toEqual({ delivered: 0, read: 0 });
  });

  test("an authentic receipt naming no message of Alice's (other id, other MAC, Bob's own) is ignored", async () => {
    const { alice, bob } = await afterOneMessage();
    // Bob's own message, stored as 11 and accepted by Alice.
    const bobText = await send(bob.chat, 'from bob');
    await bob.chat.acknowledged(bobText, 11);
    await alice.chat.receive(bobText, 11);
    const record = bob.keystore.conversation('alice').read();
    const current = record.current!;
    const epoch = record.epochs[`${current.xid}.${current.salt}`]!;
    const keys = await importDirectionKeys({
      encryption: fromBase64Url(epoch.send.encryptionKey)!,
      mac: fromBase64Url(epoch.send.macKey)!,
    });
    const bobMac = fromBase64Url(JSON.parse(bobText).mac)!;
    const aliceMac = fromBase64Url(JSON.parse((await afterOneMessage()).wire).mac)!;
    let counter = epoch.reserved;
    const forge = async (upTo: number, mac: Uint8Array) => {
      counter += 1;
      const sealed = await sealMessage(
        { from: 'bob', to: 'alice', ...current },
        keys,
        counter,
        encodeReceipt({ state: 'read', upTo, mac: mac as typeof mac32 }),
        { enabled: false, op: () => undefined },
      );
      return serializeMessage(sealed);
    };
    const cases = [
      await forge(11, bobMac), // Bob's own message
      await forge(10, aliceMac), // id 10, but another message's MAC
      await forge(9, aliceMac), // an id Alice never sent
    ];
    for (const [i, wire] of cases.entries()) {
      expect(await alice.chat.receive(wire, 30 + i)).toEqual({
        kind: 'receipt-ignored',
        from: 'bob',
      });
    }
    expect(alice.chat.receiptMarks()).toEqual({ delivered: 0, read: 0 });
  });

  test("after a reload Alice's marks are still there, and history reads the receipts again", async () => {
    const { alice, bob, wire } = await afterOneMessage();
    const read = await receiptWire(bob, 'read', 10);
    await alice.chat.receive(read, 11);
    const reloaded = alice.newTab({ locks: createMemoryLocks() });
    expect(reloaded.receiptMarks()).toEqual({ delivered: 0, read: 10 });
    const outcomes = await reloaded.decryptHistory(asStored([wire, read], 10));
    // Accepted before under this relay id: the same receipt again, flagged, never a replay.
    expect(outcomes[1]).toEqual({
      kind: 'receipt',
      from: 'bob',
      state: 'read',
      upTo: 10,
      alreadyAccepted: true,
    });
  });

  test('a receipt under keys Alice lost is undecryptable, marked receipt-sized; a text is not', async () => {
    const { clock, bob } = await afterOneMessage();
    const delivered = await receiptWire(bob, 'delivered', 10);
    const text = await send(bob.chat, 'an ordinary text');
    const fresh = party('alice', 'bob', clock);
    expect(await fresh.chat.receive(delivered, 11)).toMatchObject({
      kind: 'undecryptable',
      receiptSized: true,
    });
    const outcome = await fresh.chat.receive(text, 12);
    expect(outcome.kind).toBe('undecryptable');
    expect('receiptSized' in outcome).toBe(false);
  });
});
