/**
 * The browser's chat service and relay client, run in Node against the real app and database:
 * real protocol and keystore (memory storage and locks stand in for localStorage and Web
 * Locks), real WebSockets (the `ws` client in place of the browser's). Alice and Bob agree on
 * keys through the relay, talk, refresh keys, lose a connection, and lose their storage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createKeystore,
  createMemoryLocks,
  createMemoryStorage,
} from '../../client/src/keystore/index.js';
import { createCryptoLog } from '../../client/src/protocol/index.js';
import { type ChatEntry, createChatService } from '../../client/src/services/chat.js';
import type { StoredMessage } from '../../client/src/services/chat-api.js';
import { createRelayClient, type WebSocketLike } from '../../client/src/services/chat-relay.js';
import { type RunningApp, startAppServer } from '../../test/support/app-server.js';
import { signUpUser } from '../../test/support/live-client.js';
import { SESSION_COOKIE } from '../http/session-cookie.js';

let server: RunningApp;
let n = 0;

beforeAll(async () => {
  server = await startAppServer();
});
afterAll(async () => {
  await server?.stop();
});

async function user(storage = createMemoryStorage()) {
  n += 1;
  const signedUp = await signUpUser(server, `svc${n}`);
  const api = signedUp.client;
  const self = { id: signedUp.id, username: signedUp.name };
  const sockets: WebSocket[] = [];
  const lines: string[] = [];
  // One browser profile: its tabs share localStorage and the Web Locks.
  const locks = createMemoryLocks();
  const start = (store = storage, maxHistoryPages = 5) => {
    const relay = createRelayClient({
      url: `${server.url.replace('http', 'ws')}/api/ws`,
      openSocket: (url) => {
        const socket = new WebSocket(url, {
          headers: { origin: server.url, cookie: `${SESSION_COOKIE}=${api.cookie}` },
        });
        sockets.push(socket);
        return socket as unknown as WebSocketLike;
      },
      backoffMs: { initial: 50, max: 200 },
    });
    const chat = createChatService({
      self,
      relay,
      keystore: createKeystore({ storage: store, locks, userId: self.id }),
      history: async (peerId, before, background) => {
        const query = `limit=100${before === undefined ? '' : `&before=${before}`}`;
        const page = await api.get(
          `/api/conversations/${peerId}/messages?${query}`,
          background ? { 'x-parley-background': '1' } : {},
        );
        return page.body as { messages: StoredMessage[]; hasMore: boolean };
      },
      now: Date.now,
      log: createCryptoLog({ enabled: true, sink: (line) => lines.push(line) }),
      maxHistoryPages,
    });
    return { relay, chat };
  };
  return { api, self, storage, sockets, lines, start };
}

const texts = (entries: readonly ChatEntry[]) =>
  entries.map((e) =>
    e.kind === 'text'
      ? `${e.mine ? '>' : '<'} ${e.text} [${e.state}]`
      : `${e.kind}${'mine' in e && e.mine ? ' (mine)' : ''}`,
  );

describe('the chat service over the real relay', () => {
  it('agrees keys, talks, refreshes, survives a lost connection and a cleared storage', async () => {
    const alice = await user();
    const bob = await user();
    const a = alice.start();
    const b = bob.start();
    await expect.poll(() => [a.relay.status(), b.relay.status()]).toEqual(['open', 'open']);
    const aliceView = a.chat.open(bob.self.id);
    const bobView = b.chat.open(alice.self.id);
    await expect.poll(() => aliceView.loaded() && bobView.loaded()).toBe(true);

    // No keys yet: the text waits, the exchange runs through the relay, then it goes.
    aliceView.send('Hello Bob! ✓ ünïcødé');
    await expect.poll(() => texts(bobView.entries())).toEqual(['< Hello Bob! ✓ ünïcødé [sent]']);
    await expect.poll(() => texts(aliceView.entries())).toEqual(['> Hello Bob! ✓ ünïcødé [sent]']);
    bobView.send('Hi Alice');
    await expect.poll(() => texts(aliceView.entries()).at(-1)).toBe('< Hi Alice [sent]');

    // Refresh: both show "Keys changed", and messages still flow under the new keys.
    expect(await aliceView.refresh()).toBe('changed');
    await expect.poll(() => texts(bobView.entries()).at(-1)).toBe('keys-changed');
    expect(texts(aliceView.entries()).at(-1)).toBe('keys-changed (mine)');
    aliceView.send('after the refresh');
    await expect.poll(() => texts(bobView.entries()).at(-1)).toBe('< after the refresh [sent]');
    expect(alice.lines.some((l) => l.includes('epoch-current') && l.includes('.2'))).toBe(true);

    // The server stores no plaintext.
    const [rows] = await server.testDb.database.pool.query('SELECT payload FROM messages');
    const stored = (rows as { payload: string }[]).map((r) => r.payload).join('\n');
    for (const secret of ['Hello Bob', 'ünïcødé', 'Hi Alice', 'after the refresh']) {
      expect(stored).not.toContain(secret);
    }

    // Alice's connection drops; what she types meanwhile goes out after the reconnect, and what
    // Bob sent meanwhile is read from history.
    const statuses: string[] = [];
    a.relay.onStatus((status) => statuses.push(status));
    for (const socket of alice.sockets) socket.terminate();
    aliceView.send('typed while offline');
    await expect
      .poll(() => texts(bobView.entries()).at(-1), { timeout: 5_000 })
      .toBe('< typed while offline [sent]');
    await expect.poll(() => a.relay.status()).toBe('open');
    expect(statuses.slice(0, 3)).toEqual(['offline', 'connecting', 'open']);

    // A reload (new service, same storage) reads the whole history again.
    a.chat.close();
    a.relay.close();
    const reloaded = alice.start();
    const again = reloaded.chat.open(bob.self.id);
    await expect.poll(() => again.loaded()).toBe(true);
    expect(texts(again.entries())).toEqual([
      '> Hello Bob! ✓ ünïcødé [sent]',
      '< Hi Alice [sent]',
      'keys-changed (mine)',
      '> after the refresh [sent]',
      '> typed while offline [sent]',
    ]);
    reloaded.chat.close();
    reloaded.relay.close();

    // Cleared storage: old messages are undecryptable; a new exchange makes new ones readable.
    const cleared = alice.start(createMemoryStorage());
    const fresh = cleared.chat.open(bob.self.id);
    await expect.poll(() => fresh.loaded()).toBe(true);
    // The history shows keys this browser lost, so it starts a new exchange by itself
    // (docs/protocol.md, "An exchange that cannot wedge"), and both sides are told the keys
    // were reset.
    await expect
      .poll(() => texts(fresh.entries()))
      .toEqual([
        'undecryptable (mine)',
        'undecryptable',
        'undecryptable (mine)',
        'undecryptable (mine)',
        'undecryptable (mine)',
        'keys-reset (mine)',
      ]);
    await expect.poll(() => texts(bobView.entries()).at(-1)).toBe('keys-reset');
    await expect.poll(() => cleared.relay.status()).toBe('open');
    fresh.send('new keys, new message');
    await expect.poll(() => texts(bobView.entries()).at(-1)).toBe('< new keys, new message [sent]');
    bobView.send('readable again');
    await expect.poll(() => texts(fresh.entries()).at(-1)).toBe('< readable again [sent]');
    cleared.chat.close();
    cleared.relay.close();
    b.chat.close();
    b.relay.close();
  });

  it('sends a burst in order through the send window, none refused; history pages load on request', async () => {
    const alice = await user();
    const bob = await user();
    const a = alice.start();
    const b = bob.start();
    const aliceView = a.chat.open(bob.self.id);
    const bobView = b.chat.open(alice.self.id);
    await expect.poll(() => aliceView.loaded() && bobView.loaded()).toBe(true);
    const burst = Array.from({ length: 120 }, (_, i) => `burst ${i}`);
    for (const text of burst) aliceView.send(text);
    await expect.poll(() => bobView.entries().length, { timeout: 20_000 }).toBe(burst.length);
    expect(texts(bobView.entries())).toEqual(burst.map((t) => `< ${t} [sent]`));
    await expect
      .poll(() => texts(aliceView.entries()).filter((t) => t.endsWith('[sent]')).length)
      .toBe(burst.length);
    // A page of history at a time: the latest 100 stored messages first, then the earlier ones
    // on request. Bob's browser stored delivered receipts after the burst (hidden, never
    // entries), so the first page shows the newest texts less one per receipt in it.
    const paged = bob.start(bob.storage, 1);
    const pagedView = paged.chat.open(alice.self.id);
    await expect.poll(() => pagedView.loaded()).toBe(true);
    expect(pagedView.truncated()).toBe(true);
    const firstPage = texts(pagedView.entries());
    expect(firstPage.length).toBeGreaterThanOrEqual(90);
    expect(firstPage.length).toBeLessThanOrEqual(100);
    expect(firstPage).toEqual(burst.slice(-firstPage.length).map((t) => `< ${t} [sent]`));
    await pagedView.loadEarlier();
    expect(pagedView.truncated()).toBe(false);
    expect(texts(pagedView.entries())).toEqual(burst.map((t) => `< ${t} [sent]`));
    paged.chat.close();
    paged.relay.close();
    for (const service of [a, b]) {
      service.chat.close();
      service.relay.close();
    }
  });

  it('two tabs of one user: each shows what the other sent once, and Bob reads both', async () => {
    const alice = await user();
    const bob = await user();
    const tab1 = alice.start();
    const tab2 = alice.start();
    const b = bob.start();
    const one = tab1.chat.open(bob.self.id);
    const two = tab2.chat.open(bob.self.id);
    const bobView = b.chat.open(alice.self.id);
    const views = [one, two, bobView];
    await expect.poll(() => views.every((v) => v.loaded())).toBe(true);
    one.send('from tab one');
    await expect.poll(() => texts(bobView.entries())).toEqual(['< from tab one [sent]']);
    await expect.poll(() => texts(two.entries())).toEqual(['> from tab one [sent]']);
    two.send('from tab two');
    await expect.poll(() => texts(bobView.entries()).at(-1)).toBe('< from tab two [sent]');
    await expect
      .poll(() => texts(one.entries()))
      .toEqual(['> from tab one [sent]', '> from tab two [sent]']);
    expect(texts(two.entries())).toEqual(texts(one.entries()));
    for (const service of [tab1, tab2, b]) {
      service.chat.close();
      service.relay.close();
    }
  });
});
