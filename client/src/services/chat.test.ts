import { describe, expect, it } from 'vitest';
import { createKeystore, createMemoryLocks, createMemoryStorage } from '../keystore/index.js';
import { silentCryptoLog } from '../protocol/crypto-log.js';
import { createChatService } from './chat.js';
import type { RelayClient } from './chat-relay.js';

/** A relay that acknowledges every send at once and records what was sent. */
function recordingRelay(): RelayClient & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    send: async (_to, payload) => {
      sent.push(payload);
      return { clientMessageId: `c${sent.length}`, id: sent.length, at: new Date(0).toISOString() };
    },
    onMessage: () => () => undefined,
    onStatus: () => () => undefined,
    status: () => 'open',
    pendingCount: () => 0,
    close: () => undefined,
  };
}

describe('the chat service', () => {
  it('keeps sending after a step that threw (storage full): one failure does not stop the queue', async () => {
    const items = createMemoryStorage();
    let storageFull = false;
    let refused = 0;
    const storage = {
      ...items,
      setItem: (key: string, value: string) => {
        if (storageFull) {
          refused += 1;
          throw new DOMException('quota exceeded', 'QuotaExceededError');
        }
        items.setItem(key, value);
      },
    };
    const relay = recordingRelay();
    const chat = createChatService({
      self: { id: '1', username: 'alice' },
      relay,
      keystore: createKeystore({ storage, locks: createMemoryLocks(), userId: '1' }),
      history: async () => ({ messages: [], hasMore: false }),
      now: Date.now,
      log: silentCryptoLog,
    });
    try {
      const view = chat.open('2');
      await expect.poll(() => view.loaded()).toBe(true);

      storageFull = true;
      // Without keys a Refresh changes nothing, so it writes nothing and cannot fail.
      await expect(view.refresh()).resolves.toBe('no-keys');
      expect(refused).toBe(0);
      // The first text's key exchange must write its offer: that step throws.
      view.send('first');
      await expect.poll(() => refused).toBeGreaterThan(0);

      storageFull = false;
      view.send('second');
      // Both texts wait for keys: the exchange starts with an offer.
      await expect
        .poll(() => relay.sent.map((wire) => JSON.parse(wire).type))
        .toEqual(['kx-offer']);
      expect(view.entries().map((entry) => entry.kind === 'text' && entry.state)).toEqual([
        'queued',
        'queued',
      ]);
    } finally {
      chat.close();
    }
  });
});
