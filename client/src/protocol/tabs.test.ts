/**
 * Two tabs of the same user share localStorage. They must never encrypt two messages under the
 * same (key, IV): each reserves and persists its counter under the cross-tab lock. fast-check's
 * scheduler decides in which order the tabs' operations reach the lock.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { conversationKey } from '../keystore/keystore.js';
import type { LockManagerLike } from '../keystore/locks.js';
import type { Conversation, ReceiveOutcome } from './conversation.js';
import type { ConversationRecord } from './state.js';
import { asStored, exchangeKeys, party, send, testClock } from './test-support.js';

type Command = 'send' | 'receive' | 'refresh';

/** Routes each lock request through the scheduler before it reaches the real lock manager. */
function scheduled(s: fc.Scheduler, inner: LockManagerLike): LockManagerLike {
  return {
    request: (name, callback) =>
      s.schedule(Promise.resolve(name)).then(() => inner.request(name, callback)),
  };
}

/** A lock manager that excludes nothing: what the code would do without the Web Lock. */
const noLock: LockManagerLike = { request: (_name, callback) => callback() };

/**
 * Runs the two tabs' commands (each tab in order, the tabs concurrently), then returns every (key, IV) Alice used and
 * whether Bob could read all of Alice's output (messages and changes) in a sensible order.
 */
async function runTabs(
  s: fc.Scheduler,
  commands: [number, Command][],
  lockFor: (shared: LockManagerLike) => LockManagerLike,
) {
  const clock = testClock();
  const alice = party('alice', 'bob', clock);
  const bob = party('bob', 'alice', clock);
  await exchangeKeys(alice, bob);
  const inbox: string[] = [];
  for (let i = 0; i < commands.length; i += 1) inbox.push(await send(bob.chat, `from bob ${i}`));
  const tabs: Conversation[] = [0, 1].map(() =>
    alice.newTab({ locks: scheduled(s, lockFor(alice.locks)) }),
  );
  const produced: string[] = [];
  let next = 0;
  const run = async ([tab, command]: [number, Command]) => {
    const chat = tabs[tab]!;
    if (command === 'send') {
      const sent = await chat.encrypt(`tab ${tab}`);
      if (sent.kind === 'encrypted') produced.push(sent.wire);
    } else if (command === 'refresh') {
      const changed = await chat.refreshKeys();
      if (changed.kind === 'changed') produced.push(changed.change);
    } else {
      await chat.receive(inbox[next++]);
    }
  };
  // Each tab works through its own commands one after another; the two tabs run concurrently.
  const inTab = (tab: number) => commands.filter(([t]) => t === tab);
  const runTab = async (tab: number) => {
    for (const command of inTab(tab)) await run(command);
  };
  await s.waitFor(Promise.all([runTab(0), runTab(1)]));

  const record = JSON.parse(
    alice.storage.getItem(conversationKey('alice', 'bob'))!,
  ) as ConversationRecord;
  const used = produced
    .map((wire) => JSON.parse(wire) as { type: string; xid: string; salt: number; iv?: string })
    .filter((m) => m.type === 'msg')
    .map((m) => `${record.epochs[`${m.xid}.${m.salt}`]!.send.encryptionKey}/${m.iv}`);
  // Bob reads Alice's output epoch by epoch: each change before the messages of its epoch.
  const order = (wire: string) => {
    const m = JSON.parse(wire) as { type: string; salt: number; iv?: string };
    return (
      m.salt * 1e6 +
      (m.type === 'change'
        ? 0
        : Number.parseInt(Buffer.from(m.iv!, 'base64url').toString('hex'), 16))
    );
  };
  const outcomes = await bob.chat.decryptHistory(
    asStored([...produced].sort((a, b) => order(a) - order(b))),
  );
  return { used, outcomes };
}

const commandsArb = fc.array(
  fc.tuple(fc.constantFrom(0, 1), fc.constantFrom<Command>('send', 'send', 'receive', 'refresh')),
  {
    minLength: 4,
    maxLength: 12,
  },
);

describe('two tabs of one user', () => {
  test('never produce the same (key, IV), and everything they send is readable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), commandsArb, async (s, commands) => {
        const { used, outcomes } = await runTabs(s, commands, (shared) => shared);
        expect(new Set(used).size).toBe(used.length);
        for (const outcome of outcomes)
          expect(['plaintext', 'keys-changed']).toContain(outcome.kind);
      }),
      { numRuns: 20 },
    );
  });

  test('control: without the lock, some interleaving reuses a (key, IV)', async () => {
    const result = await fc.check(
      fc.asyncProperty(fc.scheduler(), commandsArb, async (s, commands) => {
        const { used } = await runTabs(s, commands, () => noLock);
        expect(new Set(used).size).toBe(used.length);
      }),
      { numRuns: 100, seed: 3334, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
  });
});

/**
 * Two tabs of the receiving user get every delivery of the relay (the relay sends each stored
 * message to every socket of the user); either may also read the history first. Each tab feeds
 * what it gets to its own Conversation object over the one shared store.
 */
async function runReceivingTabs(
  s: fc.Scheduler,
  script: { refreshAt: number[]; historyTab: number | null; historyUpTo: number },
  withIds: boolean,
) {
  const clock = testClock();
  const alice = party('alice', 'bob', clock);
  const bob = party('bob', 'alice', clock);
  await exchangeKeys(alice, bob);
  const relay: { id: number; payload: string; text?: string }[] = [];
  for (let i = 0; i < 6; i += 1) {
    if (script.refreshAt.includes(i)) {
      const changed = await alice.chat.refreshKeys();
      if (changed.kind === 'changed') relay.push({ id: relay.length + 1, payload: changed.change });
    }
    relay.push({ id: relay.length + 1, payload: await send(alice.chat, `m${i}`), text: `m${i}` });
  }
  const tabs = [0, 1].map(() => bob.newTab({ locks: scheduled(s, bob.locks) }));
  const outcomes: { tab: number; id: number; outcome: ReceiveOutcome }[] = [];
  const runTab = async (tab: number) => {
    const chat = tabs[tab]!;
    let from = 0;
    if (script.historyTab === tab) {
      const history = relay.slice(0, script.historyUpTo);
      const read = await chat.decryptHistory(history);
      for (const [i, outcome] of read.entries())
        outcomes.push({ tab, id: history[i]!.id, outcome });
      from = history.length;
    }
    for (const delivery of relay.slice(from)) {
      const outcome = await chat.receive(delivery.payload, withIds ? delivery.id : undefined);
      outcomes.push({ tab, id: delivery.id, outcome });
    }
  };
  await s.waitFor(Promise.all([runTab(0), runTab(1)]));
  return { relay, outcomes, alice, bob };
}

const receivingScript = fc.record({
  refreshAt: fc.subarray([1, 3, 5], { maxLength: 2 }),
  historyTab: fc.constantFrom(null, 0, 1),
  historyUpTo: fc.integer({ min: 0, max: 8 }),
});

describe("two tabs of the sending user: the relay's echo of the other tab's message", () => {
  test('is shown, not taken for a replay, when a later message of ours moved the mark first', async () => {
    const clock = testClock();
    const alice = party('alice', 'bob', clock);
    const bob = party('bob', 'alice', clock);
    await exchangeKeys(alice, bob);
    const [one, two] = [alice.newTab(), alice.newTab()];
    // Tab two sends first (relay id 10); tab one sends next (id 11). The relay echoes each to
    // the other tab; tab two reads the echo of id 11 before tab one reads the echo of id 10.
    const first = await send(two, 'two 0');
    await two.acknowledged(first, 10);
    const second = await send(one, 'one 0');
    await one.acknowledged(second, 11);
    expect(await two.receive(second, 11)).toMatchObject({ kind: 'plaintext', text: 'one 0' });
    expect(await one.receive(first, 10)).toMatchObject({ kind: 'plaintext', text: 'two 0' });
    // A real replay of our own message (a new relay id) stays rejected in either tab.
    expect(await one.receive(first, 12)).toMatchObject({ kind: 'rejected-replay' });
    expect(await two.receive(second, 13)).toMatchObject({ kind: 'rejected-replay' });
  });
});

describe('two tabs of the receiving user', () => {
  test('fed the same deliveries in any interleaving, never raise a false replay alarm', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), receivingScript, async (s, script) => {
        const { relay, outcomes } = await runReceivingTabs(s, script, true);
        for (const delivery of relay) {
          const got = outcomes.filter((o) => o.id === delivery.id).map((o) => o.outcome);
          expect(got).toHaveLength(2); // once in each tab
          for (const outcome of got) {
            if (delivery.text === undefined) expect(outcome.kind).toBe('keys-changed');
            else expect(outcome).toMatchObject({ kind: 'plaintext', text: delivery.text });
          }
          // Processed once per browser: whichever tab came first; the other shows the result.
          expect(got.filter((o) => !('alreadyAccepted' in o)).length).toBe(1);
        }
      }),
      { numRuns: 30 },
    );
  });

  test('a real replay stays rejected: the same message under a new relay id, a lower counter, another message under a known id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), receivingScript, async (s, script) => {
        const { relay, alice, bob } = await runReceivingTabs(s, script, true);
        const tabs = [bob.newTab(), bob.newTab()]; // the same two tabs, now unscheduled
        const messages = relay.filter((d) => d.text !== undefined);
        const last = messages.at(-1)!;
        const earlier = messages[0]!;
        const fresh = await send(alice.chat, 'not yet delivered');
        for (const tab of tabs) {
          // The server stores a copy of a message again, under a new id.
          expect(await tab.receive(last.payload, 1000)).toMatchObject({ kind: 'rejected-replay' });
          expect(await tab.receive(earlier.payload, 1001)).toMatchObject({
            kind: 'rejected-replay',
          });
          // Or hands another (authentic) message over under an id already accepted.
          expect(await tab.receive(fresh, last.id)).toMatchObject({ kind: 'rejected-replay' });
        }
        // In history too: a copy under a new id after the original is flagged.
        const reread = await tabs[0]!.decryptHistory([
          ...relay,
          { id: 1000, payload: last.payload },
        ]);
        expect(reread.at(-1)).toMatchObject({ kind: 'rejected-replay' });
      }),
      { numRuns: 10 },
    );
  });

  test('control: without the relay ids, some interleaving shows a false replay alarm', async () => {
    const result = await fc.check(
      fc.asyncProperty(fc.scheduler(), receivingScript, async (s, script) => {
        const { outcomes } = await runReceivingTabs(s, script, false);
        expect(outcomes.map((o) => o.outcome.kind)).not.toContain('rejected-replay');
      }),
      { numRuns: 30, seed: 8, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
  });
});
