/**
 * A whole conversation, as the server would store it: Alice and Bob exchange keys and
 * messages, refresh twice, Alice loses her storage and re-keys. Then each side re-reads the
 * full history, and every message is decrypted under the epoch it was sent in, or reported
 * undecryptable exactly where that side no longer has the keys.
 */
import { describe, expect, test } from 'vitest';
import { createMemoryStorage } from '../keystore/storage.js';
import type { Conversation, ReceiveOutcome } from './conversation.js';
import { createCryptoLog } from './crypto-log.js';
import type { EpochRef } from './state.js';
import { asStored, type Party, party, testClock } from './test-support.js';

/** One entry of the server's history, with what the test knows about it. */
interface Entry {
  wire: string;
  from: string;
  kind: 'msg' | 'change' | 'kx';
  /** An offer that replaced keys the reader had: shown as "keys reset" by whoever still had them. */
  reset?: boolean;
  text?: string;
  epoch?: EpochRef;
  /** Whether Alice's keys for this entry were lost with her storage. */
  beforeLoss: boolean;
}

describe('conversation simulation', () => {
  test('messages, two refreshes, storage loss and re-key, then full history on both sides', async () => {
    const clock = testClock();
    const lines: string[] = [];
    const log = createCryptoLog({ enabled: true, sink: (line) => lines.push(line) });
    let alice: Party = party('alice', 'bob', clock, { log });
    const bob = party('bob', 'alice', clock, { log });
    const server: Entry[] = [];
    let lost = false;

    /** Sends through the relay: the server keeps it, the other side receives it live. */
    const relay = async (
      from: Party,
      to: Party,
      wire: string,
      entry: Omit<Entry, 'wire' | 'from' | 'beforeLoss'>,
    ) => {
      server.push({ wire, from: from.self, beforeLoss: !lost, ...entry });
      clock.advance(7_000);
      return to.chat.receive(wire, server.length); // the relay's id: its place in the history
    };
    const chat = async (from: Party, to: Party, text: string) => {
      let sent = await from.chat.encrypt(text);
      if (sent.kind === 'no-keys') {
        // The UI's rule: no keys → start an exchange, then send once it completes.
        const started = await from.chat.startKeyExchange();
        if (started.kind !== 'offer') throw new Error('expected an offer');
        const answered = await relay(from, to, started.offer, { kind: 'kx', reset: lost });
        // After Alice's loss Bob still has keys: the new exchange replaces them, a reset.
        const expected = lost ? 'keys-reset' : 'exchange-reply';
        if (answered.kind !== expected || !('reply' in answered) || answered.reply === undefined) {
          throw new Error(`expected ${expected}, got ${answered.kind}`);
        }
        expect(await relay(to, from, answered.reply, { kind: 'kx' })).toMatchObject({
          kind: 'exchange-complete',
        });
        sent = await from.chat.encrypt(text);
      }
      if (sent.kind !== 'encrypted') throw new Error(sent.kind);
      const outcome = await relay(from, to, sent.wire, { kind: 'msg', text, epoch: sent.epoch });
      expect(outcome).toEqual({
        kind: 'plaintext',
        from: from.self,
        text,
        epoch: sent.epoch,
        counter: sent.counter,
      });
    };
    const refresh = async (from: Party, to: Party) => {
      const changed = await from.chat.refreshKeys();
      if (changed.kind !== 'changed') throw new Error('expected a change');
      const outcome = await relay(from, to, changed.change, {
        kind: 'change',
        epoch: changed.epoch,
      });
      expect(outcome).toEqual({ kind: 'keys-changed', by: from.self, epoch: changed.epoch });
    };

    await chat(alice, bob, 'Hi Bob');
    await chat(bob, alice, 'Hi Alice');
    await chat(alice, bob, 'Refreshing now');
    await refresh(alice, bob);
    await chat(bob, alice, 'Got new keys');
    await chat(alice, bob, 'Me too');
    await refresh(bob, alice);
    await chat(bob, alice, 'Third epoch');
    await chat(alice, bob, 'Clearing my storage');
    // Alice's local storage is cleared: a fresh keystore over empty storage.
    lost = true;
    alice = party('alice', 'bob', clock, { log, storage: createMemoryStorage() });
    expect(alice.chat.status()).toEqual({ state: 'no-keys' });
    await chat(alice, bob, 'I lost my keys'); // no keys → re-key; Bob engages though he had keys
    await chat(bob, alice, 'Welcome back');
    clock.advance(120_000); // every key-exchange message in the history is now stale

    const epochsUsed = new Set(
      server.flatMap((e) => (e.epoch ? [`${e.epoch.xid}.${e.epoch.salt}`] : [])),
    );
    expect(epochsUsed.size).toBe(4); // exchange 1 (salts 1, 2, 3) and exchange 2 (salt 1)

    const expectHistory = (
      reader: Conversation,
      outcomes: ReceiveOutcome[],
      hasKeys: (e: Entry) => boolean,
    ) => {
      expect(outcomes).toHaveLength(server.length);
      server.forEach((entry, i) => {
        const outcome = outcomes[i]!;
        const where = `entry ${i} (${entry.kind} from ${entry.from}) read by ${reader.self}`;
        if (entry.kind === 'kx' && entry.reset && reader.self === 'bob') {
          expect(outcome, where).toMatchObject({ kind: 'keys-reset', by: 'alice' });
        } else if (entry.kind === 'kx') {
          expect(outcome.kind, where).toBe('exchange-ignored');
        } else if (!hasKeys(entry)) {
          expect(outcome, where).toEqual({
            kind: 'undecryptable',
            from: entry.from,
            epoch: entry.epoch,
          });
        } else if (entry.kind === 'change') {
          // (alreadyAccepted when this browser accepted it live before: not part of the check)
          expect(outcome, where).toMatchObject({
            kind: 'keys-changed',
            by: entry.from,
            epoch: entry.epoch,
          });
        } else {
          expect(outcome, where).toMatchObject({
            kind: 'plaintext',
            from: entry.from,
            text: entry.text,
            epoch: entry.epoch,
          });
        }
      });
    };

    // Bob kept every epoch: the whole history decrypts, in a new tab and after a "reopen".
    expectHistory(
      bob.newTab(),
      await bob.newTab().decryptHistory(asStored(server.map((e) => e.wire))),
      () => true,
    );
    const bobReopened = createMemoryStorage();
    for (const [key, value] of bob.storage.entries()) bobReopened.setItem(key, value);
    const bobAgain = party('bob', 'alice', clock, { storage: bobReopened });
    expectHistory(
      bobAgain.chat,
      await bobAgain.chat.decryptHistory(asStored(server.map((e) => e.wire))),
      () => true,
    );

    // Alice has only the epoch of her new exchange: everything before is undecryptable, exactly.
    const aliceHistory = await alice.chat.decryptHistory(asStored(server.map((e) => e.wire)));
    expectHistory(alice.chat, aliceHistory, (entry) => !entry.beforeLoss);
    expect(aliceHistory.filter((o) => o.kind === 'undecryptable')).toHaveLength(
      server.filter((e) => e.kind !== 'kx' && e.beforeLoss).length,
    );

    // The console log shows every IV once per direction and key, and the keys changing.
    const encryptLines = lines.filter((line) => line.includes(' encrypt '));
    const ivKeyPairs = encryptLines.map(
      (line) => `${/ key=(\S+)/.exec(line)?.[1]} ${/ iv=(\S+)/.exec(line)?.[1]}`,
    );
    expect(encryptLines).toHaveLength(server.filter((e) => e.kind === 'msg').length);
    expect(new Set(ivKeyPairs).size).toBe(ivKeyPairs.length);
    expect(lines.filter((line) => line.includes('epoch-current')).length).toBeGreaterThanOrEqual(6);
  });
});
