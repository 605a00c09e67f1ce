import { describe, expect, it } from 'vitest';
import {
  applyReceipts,
  type ChatEntry,
  entryFor,
  mergeHistory,
  newestFromPeer,
  ordered,
  receiptState,
} from './timeline.js';

const at = new Date(0).toISOString();
const placed = (id: number, text = `m${id}`, mine = true): ChatEntry => ({
  kind: 'text',
  key: `m${id}`,
  id,
  mine,
  text,
  at,
  state: 'sent',
  ...(mine ? { wire: `wire-${id}` } : {}),
});
const local = (key: string, wire?: string): ChatEntry => ({
  kind: 'text',
  key,
  mine: true,
  text: key,
  at,
  state: 'sending',
  ...(wire ? { wire } : {}),
});
const keys = (entries: readonly ChatEntry[]) => entries.map((e) => e.key);

describe('the timeline merge', () => {
  it('keeps what was acknowledged or delivered after the server answered the history request', () => {
    const shown = [
      placed(1),
      placed(2),
      { ...local('acked-meanwhile'), id: 3 },
      placed(4, 'x', false),
    ];
    const history = [placed(1), placed(2)];
    expect(keys(mergeHistory(shown, history))).toEqual(['m1', 'm2', 'acked-meanwhile', 'm4']);
  });

  it('takes history’s entry for an id it holds, and drops a pending entry history already shows', () => {
    const shown = [
      { ...local('a'), id: 1 },
      local('b', 'wire-2'),
      local('c', 'wire-9'),
      local('d'),
    ];
    const merged = mergeHistory(shown, [placed(1), placed(2)]);
    expect(keys(merged)).toEqual(['m1', 'm2', 'c', 'd']);
  });

  it('keeps older pages read before, in id order, each id once', () => {
    const merged = mergeHistory([placed(1), placed(2), placed(5)], [placed(5), placed(6)]);
    expect(keys(merged)).toEqual(['m1', 'm2', 'm5', 'm6']);
  });

  it('orders placed entries by id, then unplaced ones as typed', () => {
    expect(keys(ordered([local('x'), placed(3), local('y'), placed(1), placed(3)]))).toEqual([
      'm1',
      'm3',
      'x',
      'y',
    ]);
  });

  it('makes an entry of each outcome that shows, none for exchange traffic', () => {
    const message = { id: 7, from: '2', to: '1', payload: 'p', clientMessageId: 'c7', at };
    const epoch = { xid: 'x', salt: 1 };
    expect(
      entryFor({ kind: 'plaintext', from: '2', text: 'hi', epoch, counter: 1 }, message, '1'),
    ).toMatchObject({ kind: 'text', mine: false, text: 'hi', id: 7 });
    expect(
      entryFor({ kind: 'plaintext', from: '1', text: 'me', epoch, counter: 1 }, message, '1'),
    ).toMatchObject({ mine: true, wire: 'p', clientMessageId: 'c7' });
    expect(
      entryFor({ kind: 'rejected-replay', from: '2', epoch, counter: 1 }, message, '1'),
    ).toMatchObject({ kind: 'flagged', reason: 'replay' });
    expect(entryFor({ kind: 'exchange-complete', epoch }, message, '1')).toBeUndefined();
  });
});

describe('receipts on the timeline', () => {
  it('read up to 2 and delivered up to 3: our stored texts take their state, nothing else moves', () => {
    const entries = [placed(1), placed(2), placed(3), placed(4), placed(5, 'theirs', false)];
    const sending = local('on its way');
    const all = [...entries, sending];
    expect(applyReceipts(all, { delivered: 3, read: 2 })).toBe(true);
    expect(all.map((e) => e.kind === 'text' && `${e.state}/${e.receipt ?? ''}`)).toEqual([
      'sent/read',
      'sent/read',
      'sent/delivered',
      'sent/',
      'sent/',
      'sending/',
    ]);
    expect(applyReceipts(all, { delivered: 3, read: 2 })).toBe(false);
    expect(receiptState(4, { delivered: 0, read: 4 })).toBe('read');
  });

  it("a receipt acknowledges the newest of the peer's texts, never our own", () => {
    expect(newestFromPeer([placed(1, 'a', false), placed(7), placed(3, 'b', false)])).toBe(3);
    expect(newestFromPeer([placed(7)])).toBe(0);
  });

  it('receipts are no entries, also when this browser lost their keys', () => {
    const message = { id: 9, from: '2', to: '1', payload: '{}', clientMessageId: 'c9', at };
    for (const outcome of [
      { kind: 'receipt', from: '2', state: 'read', upTo: 3 },
      { kind: 'receipt-ignored', from: '2' },
      { kind: 'undecryptable', from: '2', epoch: { xid: 'x', salt: 1 }, receiptSized: true },
    ] as const) {
      expect(entryFor(outcome, message, '1')).toBeUndefined();
    }
  });
});
