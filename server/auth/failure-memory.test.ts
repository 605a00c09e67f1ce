import { describe, expect, it } from 'vitest';
import { createFailureMemory } from './failure-memory.js';

describe('failure memory', () => {
  it('counts per key, forgets one key, and stays bounded', () => {
    const memory = createFailureMemory(2);
    memory.add('a');
    memory.add('a');
    memory.add('b');
    expect(memory.count('a')).toBe(2);
    memory.forget('a');
    expect(memory.count('a')).toBe(0);
    memory.add('c');
    memory.add('d');
    expect(memory.count('b')).toBe(0);
  });
});
