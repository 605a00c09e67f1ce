import { describe, expect, it } from 'vitest';
import { MAX_PLAINTEXT_BYTES } from '../protocol/constants.js';
import { counterText, draftSize } from './draft.js';

describe('draftSize', () => {
  it('shows no counter for a short draft', () => {
    expect(draftSize('hello\nworld')).toMatchObject({ showCounter: false, tooLong: false });
  });

  it('counts UTF-8 bytes as the protocol does, from 90% of the limit', () => {
    const limit = MAX_PLAINTEXT_BYTES;
    const near = 'é'.repeat(Math.ceil((limit * 0.9) / 2));
    expect(draftSize(near)).toMatchObject({
      bytes: near.length * 2,
      left: limit - near.length * 2,
      showCounter: true,
      tooLong: false,
    });
    expect(draftSize('x'.repeat(Math.floor(limit * 0.9) - 1)).showCounter).toBe(false);
    expect(draftSize('x'.repeat(limit))).toMatchObject({ left: 0, tooLong: false });
    expect(draftSize('x'.repeat(limit + 1))).toMatchObject({ left: -1, tooLong: true });
  });

  it('words the counter', () => {
    expect(counterText(draftSize('x'.repeat(15_000)))).toBe('1,384 bytes left');
    expect(counterText(draftSize('x'.repeat(MAX_PLAINTEXT_BYTES + 1)))).toBe('1 byte too many');
  });
});
