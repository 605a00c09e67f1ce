/**
 * Two tabs of the same user share localStorage. They must never encrypt two messages under the
 * same (key, IV): each reserves and persists its counter under the cross-tab lock. fast-check's
 * scheduler decides in which order the tabs' operations reach the lock.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { conversationKey } from '../keystore/keystore.js';
import type { LockManagerLike } from '../keystore/locks.js';
import type { Conversation } from './conversation.js';
import type { ConversationRecord } from './state.js';
import { exchangeKeys, party, send, testClock } from './test-support.js';

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
  const outcomes = await bob.chat.decryptHistory([...produced].sort((a, b) => order(a) - order(b)));
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
