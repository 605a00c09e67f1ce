import { afterEach, describe, expect, test, vi } from 'vitest';
import { createCryptoLog } from './crypto-log.js';
import { exchangeKeys, party, send, testClock } from './test-support.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('crypto console log', () => {
  test('on: every operation of an exchange, a message and a refresh is logged with its material', async () => {
    const lines: string[] = [];
    const log = createCryptoLog({ enabled: true, sink: (line) => lines.push(line) });
    const clock = testClock();
    const alice = party('alice', 'bob', clock, { log });
    const bob = party('bob', 'alice', clock, { log });
    await exchangeKeys(alice, bob);
    for (const text of ['first secret', 'second secret'])
      await bob.chat.receive(await send(alice.chat, text));
    const refreshed = await alice.chat.refreshKeys();
    if (refreshed.kind === 'changed') await bob.chat.receive(refreshed.change);
    await bob.chat.receive(await send(alice.chat, 'third secret'));

    const operations = lines.map((line) => /^\[parley-crypto\] (\S+)/.exec(line)?.[1]);
    for (const op of [
      'ecdh-keygen',
      'ecdh-derive',
      'hkdf',
      'encrypt',
      'mac-sign',
      'mac-verify',
      'decrypt',
      'change-sign',
      'change-verify-old',
      'change-verify-new',
      'epoch-current',
    ]) {
      expect(operations, op).toContain(op);
    }
    const hkdf = lines.filter((line) => line.includes(' hkdf '));
    // 4 keys × (2 sides × exchange + 2 sides × refresh)
    expect(hkdf).toHaveLength(16);
    expect(
      hkdf.some((line) => line.includes('salt=0000000000000001 info=CHAT_KEY_alicetobob key=')),
    ).toBe(true);
    expect(
      hkdf.some((line) => line.includes('salt=0000000000000002 info=CHAT_MAC_bobtoalice key=')),
    ).toBe(true);
    const encrypts = lines.filter((line) => line.includes(' encrypt '));
    expect(encrypts.map((line) => /iv=(\w+)/.exec(line)?.[1])).toEqual([
      '000000000000000000000001',
      '000000000000000000000002',
      '000000000000000000000001', // new epoch, new key: the counter restarts
    ]);
    expect(encrypts[0]).toMatch(/plaintext=first secret ciphertext=\S+ tag=\S+/);
    expect(encrypts[2]).not.toContain(/ key=(\S+)/.exec(encrypts[0]!)?.[1]);
    expect(
      lines.some((line) => line.includes(' decrypt ') && line.includes('plaintext=third secret')),
    ).toBe(true);
  });

  test('off: nothing at all reaches the console', async () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const log = createCryptoLog({ enabled: false });
    const clock = testClock();
    const alice = party('alice', 'bob', clock, { log });
    const bob = party('bob', 'alice', clock, { log });
    await exchangeKeys(alice, bob);
    await bob.chat.receive(await send(alice.chat, 'quiet'));
    expect(log.enabled).toBe(false);
    expect(spy).not.toHaveBeenCalled();
  });

  test('on, without a sink: lines go to console.log', () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    createCryptoLog({ enabled: true }).op('hkdf', {
      salt: new Uint8Array([0, 1]),
      info: 'CHAT_KEY_atob',
    });
    expect(spy).toHaveBeenCalledWith(
      '[parley-crypto] hkdf             salt=0001 info=CHAT_KEY_atob',
    );
  });
});
