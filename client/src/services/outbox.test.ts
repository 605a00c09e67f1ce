import { describe, expect, it } from 'vitest';
import {
  createMemoryOutboxStorage,
  createMemoryPresence,
  createOutbox,
  sendOrder,
} from './outbox.js';

describe('the outbox', () => {
  it('keeps typing order; Retry moves an item to the end; done forgets it', async () => {
    let t = 1_000;
    const storage = createMemoryOutboxStorage();
    const outbox = createOutbox({
      storage,
      presence: createMemoryPresence().tab('a'),
      userId: '1',
      now: () => t,
    });
    const first = outbox.add('2', 'first', 'c1');
    outbox.add('2', 'second', 'c2');
    outbox.add('3', 'elsewhere', 'c3');
    expect(outbox.queue('2').map((i) => i.text)).toEqual(['first', 'second']);
    outbox.failed(first, 'refused');
    expect(outbox.queue('2').map((i) => i.text)).toEqual(['second']);
    t += 1;
    outbox.retry(first);
    expect(outbox.queue('2').map((i) => i.text)).toEqual(['second', 'first']);
    outbox.encrypted(first, 'wire');
    outbox.done(first);
    await outbox.settled();
    expect(
      storage
        .items()
        .map((i) => i.clientMessageId)
        .sort(),
    ).toEqual(['c2', 'c3']);
  });

  it('keeps a text at once, synchronously, in storage that can (a page that goes right after Enter)', () => {
    const kept: string[] = [];
    const outbox = createOutbox({
      storage: { ...createMemoryOutboxStorage(), keepNow: (item) => kept.push(item.text) },
      presence: createMemoryPresence().tab('a'),
      userId: '1',
      now: () => 1,
    });
    outbox.add('2', 'just typed', 'c1');
    // No await: the page may be gone at the next task.
    expect(kept).toEqual(['just typed']);
  });

  it('a late encrypted() or failed() of an item done meanwhile writes nothing back', async () => {
    const storage = createMemoryOutboxStorage();
    const outbox = createOutbox({
      storage,
      presence: createMemoryPresence().tab('a'),
      userId: '1',
      now: () => 1,
    });
    const item = outbox.add('2', 'stored elsewhere', 'c1');
    outbox.done(item);
    outbox.encrypted(item, 'wire');
    outbox.failed(item, 'refused');
    await outbox.settled();
    expect(storage.items()).toEqual([]);
  });

  it('adopts only the items of tabs that are gone, once, without their old wire', async () => {
    const storage = createMemoryOutboxStorage();
    const presence = createMemoryPresence();
    const mk = (id: string) =>
      createOutbox({ storage, presence: presence.tab(id), userId: '1', now: () => 5 });
    const gone = mk('gone');
    const alive = mk('alive');
    const item = gone.add('2', 'left behind', 'g1');
    gone.encrypted(item, 'old wire');
    alive.add('2', 'mine', 'a1');
    await gone.settled();
    await alive.settled();
    presence.leave('gone');
    const heir = mk('heir');
    const adopted = await heir.adoptOrphans();
    expect(adopted.map((i) => [i.clientMessageId, i.owner, i.wire])).toEqual([
      ['g1', 'heir', undefined],
    ]);
    expect(await mk('another').adoptOrphans()).toEqual([]);
    expect(heir.queue('2').map((i) => i.text)).toEqual(['left behind']);
  });

  it('orders equal seqs by client id, the same in every tab', () => {
    const base = { userId: '1', peerId: '2', owner: 'o', text: '', createdAt: 0, seq: 1 };
    expect(
      sendOrder([
        { ...base, clientMessageId: 'b' },
        { ...base, clientMessageId: 'a' },
      ]).map((i) => i.clientMessageId),
    ).toEqual(['a', 'b']);
  });
});
