import { describe, expect, it } from 'vitest';
import { newestId, previewOf, titleFor, unreadCount } from './contact-list.js';
import type { ChatEntry } from './timeline.js';

const at = '2026-12-01T10:00:00.000Z';
const text = (id: number | undefined, mine: boolean, body: string): ChatEntry => ({
  kind: 'text',
  key: `k${id ?? body}`,
  ...(id === undefined ? {} : { id }),
  mine,
  text: body,
  at,
  state: 'sent',
});
const entries: ChatEntry[] = [
  text(1, false, 'old'),
  text(2, true, 'mine'),
  { kind: 'keys-changed', key: 'k3', id: 3, mine: false, at },
  text(4, false, 'new one'),
  { kind: 'undecryptable', key: 'k5', id: 5, mine: false, at },
  { kind: 'flagged', key: 'k6', id: 6, reason: 'replay', at },
  text(undefined, true, 'on its way'),
];

describe('the contact list', () => {
  it('counts the peer’s messages after the read mark, texts and unreadable ones', () => {
    expect(unreadCount(entries, 0)).toBe(3);
    expect(unreadCount(entries, 3)).toBe(2);
    expect(unreadCount(entries, 6)).toBe(0);
  });

  it('finds the newest id and previews the newest message on one line', () => {
    expect(newestId(entries)).toBe(6);
    expect(previewOf(entries)).toBe('You: on its way');
    expect(previewOf(entries.slice(0, 5))).toBe('Encrypted message');
    expect(previewOf([text(1, false, 'two\nlines')])).toBe('two lines');
    expect(previewOf([text(1, false, 'x'.repeat(100))])).toHaveLength(80);
    expect(previewOf([])).toBe('');
  });

  it('puts the total in the title', () => {
    expect(titleFor(0)).toBe('Parley');
    expect(titleFor(3)).toBe('(3) Parley');
  });
});
