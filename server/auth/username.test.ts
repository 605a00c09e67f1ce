import { describe, expect, it } from 'vitest';
import { checkUsername } from './username.js';

describe('usernames', () => {
  it('3–32 letters, digits, . _ -; case-insensitive key', () => {
    expect(checkUsername(' Alice ')).toEqual({ ok: true, username: 'Alice', key: 'alice' });
    expect(checkUsername('ab').ok).toBe(false);
    expect(checkUsername('a'.repeat(33)).ok).toBe(false);
    expect(checkUsername('-lead').ok).toBe(false);
    expect(checkUsername('émile').ok).toBe(false);
  });
});
