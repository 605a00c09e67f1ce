import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../keystore/index.js';
import { CRYPTO_LOG_SETTING, createCryptoLogSwitch } from './crypto-log-switch.js';

describe('the crypto log switch', () => {
  it('is on by default, remembers being turned off, and silences the shared log at once', () => {
    const storage = createMemoryStorage();
    const lines: string[] = [];
    const logSwitch = createCryptoLogSwitch(storage, (line) => lines.push(line));
    expect(logSwitch.enabled()).toBe(true);
    logSwitch.log.op('encrypt', { iv: new Uint8Array([0, 1]) });
    expect(lines).toEqual(['[parley-crypto] encrypt          iv=0001']);
    logSwitch.set(false);
    expect(storage.getItem(CRYPTO_LOG_SETTING)).toBe('off');
    expect(logSwitch.log.enabled).toBe(false);
    logSwitch.log.op('encrypt', { iv: new Uint8Array([0, 2]) });
    expect(lines).toHaveLength(1);
    // Another page load reads the same preference.
    expect(createCryptoLogSwitch(storage).enabled()).toBe(false);
    logSwitch.set(true);
    logSwitch.log.op('decrypt', { iv: new Uint8Array([0, 3]) });
    expect(lines).toHaveLength(2);
  });
});
