import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { conversationKey } from '../keystore/keystore.js';
import { createMemoryStorage } from '../keystore/storage.js';
import { KEY_EXCHANGE_MAX_AGE_MS } from './constants.js';
import { silentCryptoLog as log } from './crypto-log.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { importDirectionKeys, sealMessage } from './message-crypto.js';
import { serializeMessage } from './schema.js';
import type { ConversationRecord } from './state.js';
import { asStored, exchangeKeys, type Party, party, send, testClock } from './test-support.js';

function pair(clock = testClock()) {
  return { clock, alice: party('alice', 'bob', clock), bob: party('bob', 'alice', clock) };
}

/** The stored JSON of a party's conversation: what "changes nothing" compares. */
const stored = (p: Party) => p.storage.getItem(conversationKey(p.self, p.peer));
const record = (p: Party) => JSON.parse(stored(p) ?? 'null') as ConversationRecord;

/** A copy of the wire JSON with one field replaced. */
function edit(wire: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(wire), ...changes });
}

function flipBase64Bit(text: string, bit: number): string {
  const bytes = fromBase64Url(text)!;
  bytes[Math.floor(bit / 8) % bytes.length]! ^= 1 << (bit % 8);
  return toBase64Url(bytes);
}

describe('key exchange', () => {
  test('no keys → exchanging → ready, on both sides, with the same epoch', async () => {
    const { alice, bob } = pair();
    expect(alice.chat.status()).toEqual({ state: 'no-keys' });
    expect(await alice.chat.encrypt('hi')).toEqual({ kind: 'no-keys', exchangePending: false });
    const started = await alice.chat.startKeyExchange();
    expect(started.kind).toBe('offer');
    if (started.kind !== 'offer') return;
    expect(alice.chat.status()).toMatchObject({ state: 'exchanging', xid: started.xid });
    expect(await alice.chat.encrypt('hi')).toEqual({ kind: 'no-keys', exchangePending: true });
    // Another tab asking again gets the pending offer, not a second exchange.
    expect(await alice.newTab().startKeyExchange()).toMatchObject({
      kind: 'pending',
      xid: started.xid,
    });
    const answered = await bob.chat.receive(started.offer);
    expect(answered).toMatchObject({
      kind: 'exchange-reply',
      epoch: { xid: started.xid, salt: 1 },
    });
    if (answered.kind !== 'exchange-reply') return;
    expect(await alice.chat.receive(answered.reply)).toEqual({
      kind: 'exchange-complete',
      epoch: { xid: started.xid, salt: 1 },
    });
    const epoch = { xid: started.xid, salt: 1 };
    expect(alice.chat.status()).toEqual({ state: 'ready', epoch, exchangePending: false });
    expect(bob.chat.status()).toEqual({ state: 'ready', epoch, exchangePending: false });
    // Both sides hold the same four keys, mirrored, and each other's public keys.
    const a = record(alice);
    const b = record(bob);
    expect(a.epochs[`${epoch.xid}.1`]?.send).toEqual(b.epochs[`${epoch.xid}.1`]?.receive);
    expect(a.exchanges[epoch.xid]?.sharedSecret).toBe(b.exchanges[epoch.xid]?.sharedSecret);
    expect(a.exchanges[epoch.xid]?.peerPublicKey).toBe(
      b.exchanges[epoch.xid]?.ownKeyPair.publicKey,
    );
    // A second delivery of the same messages (another tab, a relay retry) engages nothing.
    expect(await bob.newTab().receive(started.offer)).toEqual({
      kind: 'exchange-ignored',
      reason: 'already-handled',
    });
    expect(await alice.newTab().receive(answered.reply)).toEqual({
      kind: 'exchange-ignored',
      reason: 'already-handled',
    });
    expect(await alice.chat.receive(started.offer)).toEqual({
      kind: 'exchange-ignored',
      reason: 'own',
    });
  });

  test('a key exchange older than 60 s (or dated 60 s ahead) is not engaged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -120_000, max: 180_000 }),
        fc.boolean(),
        async (ageMs, delayReply) => {
          const { clock, alice, bob } = pair();
          const started = await alice.chat.startKeyExchange();
          if (started.kind !== 'offer') throw new Error('no offer');
          const fresh = ageMs <= KEY_EXCHANGE_MAX_AGE_MS && ageMs >= -60_000;
          if (!delayReply) {
            clock.advance(ageMs); // the offer waits ageMs before Bob sees it
            const outcome = await bob.chat.receive(started.offer);
            expect(outcome.kind).toBe(fresh ? 'exchange-reply' : 'exchange-ignored');
            if (!fresh) {
              expect(outcome).toEqual({ kind: 'exchange-ignored', reason: 'stale' });
              expect(bob.chat.status()).toEqual({ state: 'no-keys' });
            }
            return;
          }
          const answered = await bob.chat.receive(started.offer);
          if (answered.kind !== 'exchange-reply') throw new Error('no reply');
          clock.advance(ageMs); // the reply waits ageMs before Alice sees it
          const outcome = await alice.chat.receive(answered.reply);
          expect(outcome.kind).toBe(fresh ? 'exchange-complete' : 'exchange-ignored');
          if (!fresh) expect(alice.chat.status().state).not.toBe('ready');
        },
      ),
      {
        numRuns: 25,
        examples: [
          [60_000, false],
          [60_001, false],
          [60_001, true],
          [-60_001, false],
        ],
      },
    );
  });

  test('simultaneous initiation resolves to one exchange: the lower user id’s offer wins', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(['alice', 'bob'], ['zoe', 'adam'], ['u2', 'u10']),
        fc.boolean(),
        async ([first, second], lowerSeesOfferFirst) => {
          const clock = testClock();
          const x = party(first!, second!, clock);
          const y = party(second!, first!, clock);
          const [low, high] = first! < second! ? [x, y] : [y, x];
          const lowOffer = await low.chat.startKeyExchange();
          const highOffer = await high.chat.startKeyExchange();
          if (lowOffer.kind !== 'offer' || highOffer.kind !== 'offer') throw new Error('no offers');
          // The relay crosses the offers; either side may see the other's first.
          const deliver = async () => {
            const atLow = () => low.chat.receive(highOffer.offer);
            const atHigh = () => high.chat.receive(lowOffer.offer);
            return lowerSeesOfferFirst
              ? { atLow: await atLow(), atHigh: await atHigh() }
              : { atHigh: await atHigh(), atLow: await atLow() };
          };
          const { atLow, atHigh } = await deliver();
          expect(atLow).toEqual({ kind: 'exchange-ignored', reason: 'superseded' });
          expect(atHigh.kind).toBe('exchange-reply');
          if (atHigh.kind !== 'exchange-reply') return;
          expect(await low.chat.receive(atHigh.reply)).toMatchObject({ kind: 'exchange-complete' });
          const epoch = { xid: lowOffer.xid, salt: 1 };
          expect(low.chat.status()).toEqual({ state: 'ready', epoch, exchangePending: false });
          expect(high.chat.status()).toEqual({ state: 'ready', epoch, exchangePending: false });
          expect(Object.keys(record(low).exchanges)).toEqual([lowOffer.xid]);
          expect(Object.keys(record(high).exchanges)).toEqual([lowOffer.xid]);
          const wire = await send(high.chat, 'after the race');
          expect(await low.chat.receive(wire)).toMatchObject({
            kind: 'plaintext',
            text: 'after the race',
          });
        },
      ),
      { numRuns: 6 },
    );
  });

  test('the recipient engages in a new exchange even when it already has a shared secret', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    const before = bob.chat.status();
    await exchangeKeys(alice, bob); // Alice re-keys (e.g. her storage was cleared)
    const after = bob.chat.status();
    expect(after.state).toBe('ready');
    expect(after).not.toEqual(before);
    expect(Object.keys(record(bob).exchanges)).toHaveLength(2);
  });

  test('a reply that is not a valid P-384 point, or answers an unknown offer, is not engaged', async () => {
    const { alice, bob } = pair();
    const started = await alice.chat.startKeyExchange();
    if (started.kind !== 'offer') return;
    const answered = await bob.chat.receive(started.offer);
    if (answered.kind !== 'exchange-reply') return;
    const offCurve = new Uint8Array(97).fill(1);
    offCurve[0] = 4;
    const before = stored(alice);
    expect(await alice.chat.receive(edit(answered.reply, { key: toBase64Url(offCurve) }))).toEqual({
      kind: 'invalid',
    });
    expect(stored(alice)).toBe(before);
    // Alice no longer has that offer pending (another tab started a newer one): not engaged.
    const newer = await alice.newTab().startKeyExchange({ force: true });
    expect(newer.kind).toBe('offer');
    expect(await alice.chat.receive(answered.reply)).toEqual({
      kind: 'exchange-ignored',
      reason: 'unknown-offer',
    });
    if (newer.kind !== 'offer') return;
    const answeredNewer = await bob.chat.receive(newer.offer);
    if (!('reply' in answeredNewer) || answeredNewer.reply === undefined)
      throw new Error('no reply');
    // Bob had keys (he replaced them: a reset for him); Alice had none (her first exchange).
    expect(answeredNewer.kind).toBe('keys-reset');
    expect(await alice.chat.receive(answeredNewer.reply)).toMatchObject({
      kind: 'exchange-complete',
    });
  });
});

describe('messages', () => {
  test('any conversation round-trips in both directions', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.string({ unit: 'grapheme', maxLength: 60 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (script) => {
          for (const [fromAlice, text] of script) {
            const [sender, receiver] = fromAlice ? [alice, bob] : [bob, alice];
            const outcome = await receiver.chat.receive(await send(sender.chat, text));
            expect(outcome).toMatchObject({ kind: 'plaintext', from: sender.self, text });
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  test('a replayed or reordered message is rejected; in-order ones are accepted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 14 }),
        async (deliveries) => {
          const { alice, bob } = pair();
          await exchangeKeys(alice, bob);
          const wires: string[] = [];
          for (let i = 0; i < 6; i += 1) wires.push(await send(alice.chat, `m${i + 1}`));
          let highest = 0;
          for (const index of deliveries) {
            const outcome = await bob.chat.receive(wires[index]);
            const counter = index + 1;
            if (counter > highest) {
              expect(outcome).toMatchObject({ kind: 'plaintext', text: `m${counter}`, counter });
              highest = counter;
            } else {
              expect(outcome).toMatchObject({ kind: 'rejected-replay', counter });
            }
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  test('flipping any bit of a received message (IV, ciphertext, tag, MAC, epoch) is rejected and changes nothing', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    // Bob has seen Alice use the first exchange: its keys are confirmed shared, so a MAC that
    // fails under them is an integrity failure (under keys not yet confirmed, see "wedge").
    await bob.chat.receive(await send(alice.chat, 'first exchange in use'));
    await exchangeKeys(bob, alice); // two exchanges, so a flipped epoch may name a known one
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('iv', 'ct', 'tag', 'mac', 'xid', 'salt'),
        fc.nat({ max: 1023 }),
        async (field, bit) => {
          const wire = await send(alice.chat, 'tamper with me');
          const message = JSON.parse(wire) as Record<string, string | number>;
          const tampered =
            field === 'salt'
              ? edit(wire, { salt: (message.salt as number) ^ (1 << (bit % 20)) })
              : edit(wire, { [field]: flipBase64Bit(message[field] as string, bit) });
          const before = stored(bob);
          const outcome = await bob.chat.receive(tampered);
          expect(['invalid', 'undecryptable']).toContain(outcome.kind);
          expect(stored(bob)).toBe(before);
          expect(await bob.chat.receive(wire)).toMatchObject({ kind: 'plaintext' });
        },
      ),
      { numRuns: 60 },
    );
    // Moving a message to a known epoch of another exchange fails the MAC: invalid, not missing.
    const wire = await send(alice.chat, 'x');
    const other = Object.keys(record(bob).exchanges).find((xid) => xid !== JSON.parse(wire).xid);
    expect(await bob.chat.receive(edit(wire, { xid: other }))).toEqual({ kind: 'invalid' });
  });

  test('messages not between the two participants, or malformed, are invalid', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    const wire = await send(alice.chat, 'hi');
    expect(await bob.chat.receive(edit(wire, { from: 'mallory' }))).toEqual({ kind: 'invalid' });
    expect(await bob.chat.receive(edit(wire, { to: 'carol' }))).toEqual({ kind: 'invalid' });
    expect(await bob.chat.receive('not json')).toEqual({ kind: 'invalid' });
    expect(await bob.chat.receive({ type: 'msg' })).toEqual({ kind: 'invalid' });
    expect(await bob.chat.acceptRefresh(wire)).toEqual({ kind: 'invalid' }); // wrong type
    expect(await bob.chat.decrypt(wire)).toMatchObject({ kind: 'plaintext', text: 'hi' });
  });

  test('own messages (another tab, or history) decrypt with the send keys, once', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    const wire = await send(alice.chat, 'from my other tab');
    const otherTab = alice.newTab();
    expect(await otherTab.receive(wire)).toMatchObject({ kind: 'plaintext', from: 'alice' });
    expect(await otherTab.receive(wire)).toMatchObject({ kind: 'rejected-replay' });
  });

  test('refuses to encrypt more than the size bound', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    expect(await alice.chat.encrypt('é'.repeat(8193))).toEqual({
      kind: 'too-long',
      maxBytes: 16384,
    });
    expect((await alice.chat.encrypt('é'.repeat(8192))).kind).toBe('encrypted');
  });
});

describe('refresh', () => {
  test('re-derives all four keys with the next salt; both sides record "Keys changed"', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    await bob.chat.receive(await send(alice.chat, 'before'));
    const old = alice.chat.status();
    const refreshed = await alice.chat.refreshKeys();
    expect(refreshed.kind).toBe('changed');
    if (refreshed.kind !== 'changed' || old.state !== 'ready') return;
    expect(refreshed.epoch).toEqual({ xid: old.epoch.xid, salt: 2 });
    expect(JSON.parse(refreshed.change)).toMatchObject({
      type: 'change',
      salt: 2,
      lastIv: 'AAAAAAAAAAAAAAAB',
    });
    expect(await bob.chat.receive(refreshed.change)).toEqual({
      kind: 'keys-changed',
      by: 'alice',
      epoch: refreshed.epoch,
    });
    expect(bob.chat.status()).toMatchObject({ epoch: refreshed.epoch });
    const epochs = record(alice).epochs;
    const [first, second] = [epochs[`${old.epoch.xid}.1`]!, epochs[`${old.epoch.xid}.2`]!];
    for (const direction of ['send', 'receive'] as const) {
      expect(second[direction].encryptionKey).not.toBe(first[direction].encryptionKey);
      expect(second[direction].macKey).not.toBe(first[direction].macKey);
    }
    const after = await send(alice.chat, 'after');
    expect(JSON.parse(after)).toMatchObject({ salt: 2, iv: 'AAAAAAAAAAAAAAAB' }); // IV restarts at 1
    expect(await bob.chat.receive(after)).toMatchObject({ kind: 'plaintext', text: 'after' });
    // Replaying the change live is flagged, and changes nothing.
    const before = stored(bob);
    expect(await bob.chat.receive(refreshed.change)).toMatchObject({ kind: 'rejected-replay' });
    expect(stored(bob)).toBe(before);
    expect(await alice.chat.refreshKeys().then((r) => r.kind)).toBe('changed');
    expect(await party('carol', 'dave', testClock()).chat.refreshKeys()).toEqual({
      kind: 'no-keys',
    });
  });

  test('a change with a bad old or new MAC (or any flipped bit) is rejected and changes nothing', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    await bob.chat.receive(await send(alice.chat, 'one'));
    const refreshed = await alice.chat.refreshKeys();
    if (refreshed.kind !== 'changed') throw new Error('no change');
    const change = JSON.parse(refreshed.change) as Record<string, string>;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('macOld', 'macNew', 'lastIv', 'xid'),
        fc.nat({ max: 511 }),
        async (field, bit) => {
          const before = stored(bob);
          const outcome = await bob.chat.receive(
            edit(refreshed.change, { [field]: flipBase64Bit(change[field]!, bit) }),
          );
          expect(['invalid', 'undecryptable']).toContain(outcome.kind);
          expect(stored(bob)).toBe(before);
        },
      ),
      { numRuns: 40 },
    );
    // A forger holding only the old keys can make macOld but not macNew: reusing the old-key
    // MAC (same input) for both is refused, and so is the converse.
    const before = stored(bob);
    expect(await bob.chat.receive(edit(refreshed.change, { macNew: change.macOld }))).toEqual({
      kind: 'invalid',
    });
    expect(await bob.chat.receive(edit(refreshed.change, { macOld: change.macNew }))).toEqual({
      kind: 'invalid',
    });
    expect(stored(bob)).toBe(before);
    expect(await bob.chat.receive(refreshed.change)).toMatchObject({ kind: 'keys-changed' });
  });

  test('old-epoch messages in flight are still accepted, up to the sender’s declared last IV', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    const inFlight = await send(alice.chat, 'sent before the refresh');
    const refreshed = await alice.chat.refreshKeys();
    if (refreshed.kind !== 'changed') return;
    expect(await bob.chat.receive(refreshed.change)).toMatchObject({ kind: 'keys-changed' });
    expect(await bob.chat.receive(inFlight)).toMatchObject({ kind: 'plaintext', counter: 1 });
    // Alice declared lastIv = 1: an old-epoch message numbered 2 cannot be hers.
    const xid = JSON.parse(inFlight).xid as string;
    const oldKeys = record(alice).epochs[`${xid}.1`]!.send;
    const handles = await importDirectionKeys({
      encryption: fromBase64Url(oldKeys.encryptionKey)!,
      mac: fromBase64Url(oldKeys.macKey)!,
    });
    const late = await sealMessage(
      { from: 'alice', to: 'bob', xid, salt: 1 },
      handles,
      2,
      'late',
      log,
    );
    expect(await bob.chat.receive(serializeMessage(late))).toEqual({ kind: 'invalid' });
  });

  test('simultaneous refreshes from both sides converge on the same keys', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    const fromAlice = await alice.chat.refreshKeys();
    const fromBob = await bob.chat.refreshKeys();
    if (fromAlice.kind !== 'changed' || fromBob.kind !== 'changed') return;
    expect(fromAlice.epoch).toEqual(fromBob.epoch);
    expect(await alice.chat.receive(fromBob.change)).toMatchObject({
      kind: 'keys-changed',
      by: 'bob',
    });
    expect(await bob.chat.receive(fromAlice.change)).toMatchObject({
      kind: 'keys-changed',
      by: 'alice',
    });
    expect(await bob.chat.receive(await send(alice.chat, 'converged'))).toMatchObject({
      text: 'converged',
    });
    expect(await alice.chat.receive(await send(bob.chat, 'yes'))).toMatchObject({ text: 'yes' });
  });
});

describe('persistence', () => {
  test('keys, counters and high-water marks survive a reload from the stored state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 2 }),
        async (sent, refreshes) => {
          const { clock, alice, bob } = pair();
          await exchangeKeys(alice, bob);
          const delivered: string[] = [];
          for (let r = 0; r <= refreshes; r += 1) {
            for (let i = 0; i < sent; i += 1) {
              const wire = await send(alice.chat, `r${r} m${i}`);
              delivered.push(wire);
              await bob.chat.receive(wire);
            }
            if (r < refreshes) {
              const change = await alice.chat.refreshKeys();
              if (change.kind === 'changed') delivered.push(change.change);
              await bob.chat.receive(delivered.at(-1));
            }
          }
          // "Close the browser": new objects over a copy of what is in storage, nothing else.
          const copy = createMemoryStorage();
          for (const [key, value] of bob.storage.entries()) copy.setItem(key, value);
          const reopened = party('bob', 'alice', clock, { storage: copy });
          // A live replay of any message is still rejected…
          for (const wire of delivered) {
            const outcome = await reopened.chat.receive(wire);
            expect(['rejected-replay']).toContain(outcome.kind);
          }
          // …while the history re-reads in full,
          const history = await reopened.chat.decryptHistory(asStored(delivered));
          expect(history.filter((o) => o.kind === 'plaintext')).toHaveLength(
            sent * (refreshes + 1),
          );
          expect(history.filter((o) => o.kind === 'keys-changed')).toHaveLength(refreshes);
          // and the conversation continues where it was, both ways.
          expect(await reopened.chat.receive(await send(alice.chat, 'later'))).toMatchObject({
            text: 'later',
          });
          const reply = await send(reopened.chat, 'back');
          expect(await alice.chat.receive(reply)).toMatchObject({ text: 'back' });
        },
      ),
      { numRuns: 8 },
    );
  });

  test('history: server order is checked, a replay inside it is flagged, missing keys do not stop the rest', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    const m = [];
    for (let i = 1; i <= 4; i += 1) m.push(await send(alice.chat, `m${i}`));
    const foreign = edit(m[0]!, { xid: `${'Q'.repeat(21)}A` }); // an epoch Bob never had
    const outcomes = await bob.chat.decryptHistory(
      asStored([m[0], foreign, m[2], m[1], m[2], m[3], 'junk']),
    );
    expect(outcomes.map((o) => o.kind)).toEqual([
      'plaintext',
      'undecryptable',
      'plaintext',
      'rejected-replay',
      'rejected-replay',
      'plaintext',
      'invalid',
    ]);
    // History raised the persisted mark: those messages arriving "live" now are replays.
    expect(await bob.chat.receive(m[3])).toMatchObject({ kind: 'rejected-replay' });
    // Reading the same history again (a reload) gives the same answers.
    const again = await bob.chat.decryptHistory(asStored([m[0], m[1], m[2], m[3]], 100));
    expect(again.map((o) => o.kind)).toEqual(['plaintext', 'plaintext', 'plaintext', 'plaintext']);
  });

  test('a message that arrived while the browser was closed is accepted from history', async () => {
    const { alice, bob } = pair();
    await exchangeKeys(alice, bob);
    const first = await send(alice.chat, 'seen live');
    await bob.chat.receive(first);
    const offline = await send(alice.chat, 'arrived while closed');
    const outcomes = await bob.newTab().decryptHistory(asStored([first, offline]));
    expect(outcomes).toMatchObject([{ text: 'seen live' }, { text: 'arrived while closed' }]);
    expect(await bob.chat.receive(offline)).toMatchObject({ kind: 'rejected-replay' });
  });
});
