import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../keystore/index.js';
import { createReadReceiptsSwitch, READ_RECEIPTS_SETTING } from './read-receipts.js';

describe('the read receipts switch', () => {
  it('is on by default, and remembers off (and on again) in storage', () => {
    const storage = createMemoryStorage();
    const receipts = createReadReceiptsSwitch(storage);
    expect(receipts.enabled()).toBe(true);
    receipts.set(false);
    expect(storage.getItem(READ_RECEIPTS_SETTING)).toBe('off');
    expect(createReadReceiptsSwitch(storage).enabled()).toBe(false);
    receipts.set(true);
    expect(createReadReceiptsSwitch(storage).enabled()).toBe(true);
  });
});
