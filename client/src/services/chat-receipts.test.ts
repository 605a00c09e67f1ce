/**
 * Delivery and read receipts through the chat service, with the real protocol and keystore over
 * memory storage and an in-memory relay that stores in arrival order and delivers each stored
 * message to every socket of both users but the sending one (as the real relay does): Alice's
 * text goes sent → delivered → read, one receipt covers a burst or an offline history, tabs say
 * it once, receipts are never entries, and the state survives a reload.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKeystore, createMemoryLocks, createMemoryStorage } from '../keystore/index.js';
import { silentCryptoLog } from '../protocol/crypto-log.js';
import { type ChatService, createChatService } from './chat.js';
import type { StoredMessage } from './chat-api.js';
import type { RelayClient, RelayMessage } from './chat-relay.js';

function relayHub() {
  const rows: StoredMessage[] = [];
  const sockets = new Set<{ user: string; listener: (m: RelayMessage) => void }>();
  return {
    rows,
    /** One tab's relay client for `user`. */
    socket(user: string): RelayClient {
      const listeners = new Set<(m: RelayMessage) => void>();
      const me = {
        user,
        listener: (m: RelayMessage) => {
          for (const listener of listeners) listener(m);
        },
      };
      sockets.add(me);
      return {
        send: async (to, payload, clientMessageId = crypto.randomUUID()) => {
          const row = {
            id: rows.length + 1,
            from: user,
            to,
            payload,
            clientMessageId,
            at: new Date(rows.length + 1).toISOString(),
          };
          rows.push(row);
          setTimeout(() => {
            for (const socket of sockets) {
              if (socket !== me && (socket.user === to || socket.user === user)) {
                socket.listener(row);
              }
            }
          }, 1);
          return { clientMessageId, id: row.id, at: row.at };
        },
        onMessage(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        onStatus: () => () => undefined,
        status: () => 'open',
        pendingCount: () => 0,
        close: () => sockets.delete(me),
      };
    },
    history: (self: string) => async (peer: string) => ({
      messages: rows.filter(
        (r) => (r.from === self && r.to === peer) || (r.from === peer && r.to === self),
      ),
      hasMore: false,
    }),
  };
}

const services: ChatService[] = [];
afterEach(() => {
  for (const service of services.splice(0)) service.close();
});

type Hub = ReturnType<typeof relayHub>;

/** One browser of a user: its storage and locks; `tab()` opens a chat service (a page). */
function browser(hub: Hub, id: string) {
  const storage = createMemoryStorage();
  const locks = createMemoryLocks();
  return {
    tab() {
      const service = createChatService({
        self: { id, username: `user${id}` },
        relay: hub.socket(id),
        keystore: createKeystore({ storage, locks, userId: id }),
        history: hub.history(id),
        now: Date.now,
        log: silentCryptoLog,
        sendLocks: locks,
        retryMs: 50,
      });
      services.push(service);
      return service;
    },
  };
}

const states = (service: ChatService, peer: string) =>
  service
    .open(peer)
    .entries()
    .map((e) =>
      e.kind === 'text'
        ? `${e.mine ? 'mine' : 'theirs'}:${e.text}:${e.receipt ?? e.state}`
        : e.kind,
    );

describe('receipts through the chat service', () => {
  it('sent → delivered when Bob decrypts it, → read when Bob reads; no entries, no storm', async () => {
    const hub = relayHub();
    const alice = browser(hub, '1').tab();
    const bob = browser(hub, '2').tab();
    const aliceView = alice.open('2');
    const bobView = bob.open('1');
    await expect.poll(() => aliceView.loaded() && bobView.loaded()).toBe(true);
    aliceView.send('hello');
    await expect.poll(() => states(alice, '2')).toEqual(['mine:hello:delivered']);
    expect(states(bob, '1')).toEqual(['theirs:hello:sent']);
    bobView.markRead();
    await expect.poll(() => states(alice, '2')).toEqual(['mine:hello:read']);
    // A burst of three: delivered, in at most one receipt per arrival; then read in one.
    const before = hub.rows.length;
    for (const text of ['a', 'b', 'c']) aliceView.send(text);
    await expect
      .poll(() => states(alice, '2').slice(1))
      .toEqual(['mine:a:delivered', 'mine:b:delivered', 'mine:c:delivered']);
    bobView.markRead();
    bobView.markRead();
    await expect.poll(() => states(alice, '2').at(-1)).toBe('mine:c:read');
    expect(states(alice, '2')).toEqual([
      'mine:hello:read',
      'mine:a:read',
      'mine:b:read',
      'mine:c:read',
    ]);
    const fromBob = hub.rows.slice(before).filter((r) => r.from === '2').length;
    expect(fromBob).toBeGreaterThanOrEqual(2);
    expect(fromBob).toBeLessThanOrEqual(4);
    // Alice never acknowledges Bob's receipts: she sent nothing but her four texts since.
    expect(hub.rows.slice(before).filter((r) => r.from === '1')).toHaveLength(3);
    // Receipts are no entries on either side.
    expect(states(bob, '1')).toEqual([
      'theirs:hello:sent',
      'theirs:a:sent',
      'theirs:b:sent',
      'theirs:c:sent',
    ]);
  });

  it('Bob offline: one delivered receipt when his browser decrypts the history; a reload of Alice keeps the states', async () => {
    const hub = relayHub();
    const aliceBrowser = browser(hub, '1');
    const bobBrowser = browser(hub, '2');
    const alice = aliceBrowser.tab();
    const bobFirst = bobBrowser.tab();
    const aliceView = alice.open('2');
    bobFirst.open('1');
    aliceView.send('keys first');
    await expect.poll(() => states(alice, '2')).toEqual(['mine:keys first:delivered']);
    bobFirst.close();
    for (const text of ['x', 'y', 'z']) aliceView.send(text);
    await expect
      .poll(() => states(alice, '2').slice(1))
      .toEqual(['mine:x:sent', 'mine:y:sent', 'mine:z:sent']);
    const before = hub.rows.length;
    // Bob comes back: two tabs read the history at once.
    const bob = bobBrowser.tab();
    const bob2 = bobBrowser.tab();
    bob.open('1');
    bob2.open('1');
    await expect
      .poll(() => states(alice, '2').slice(1))
      .toEqual(['mine:x:delivered', 'mine:y:delivered', 'mine:z:delivered']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hub.rows.slice(before).filter((r) => r.from === '2')).toHaveLength(1);
    // Alice reloads: the states come back (persisted marks and the receipts in history).
    alice.close();
    const reloaded = aliceBrowser.tab();
    await expect
      .poll(() => states(reloaded, '2'))
      .toEqual([
        'mine:keys first:delivered',
        'mine:x:delivered',
        'mine:y:delivered',
        'mine:z:delivered',
      ]);
    // Bob sent no text: all he stored are two receipts, one per time his browser read Alice's.
    expect(
      hub.rows.filter((r) => r.from === '2' && JSON.parse(r.payload).type === 'msg'),
    ).toHaveLength(2);
  });
});
