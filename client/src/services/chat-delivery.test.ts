/**
 * The chat service's delivery, with the real protocol and keystore over memory storage, and a
 * fake relay server that stores in arrival order and de-duplicates by (sender, client id) as
 * the real one does: tabs of one browser reach the relay in counter order, the sender's view
 * keeps what was acknowledged while a history read was in flight, the outbox survives a
 * reload, and only a permanent refusal shows "not sent".
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayErrorCode } from '../../../contract/relay.js';
import { createKeystore, type LockManagerLike } from '../keystore/index.js';
import { silentCryptoLog } from '../protocol/crypto-log.js';
import type { ReceiveOutcome } from '../protocol/index.js';
import { exchangeKeys, type Party, party, testClock } from '../protocol/test-support.js';
import { type ChatService, createChatService } from './chat.js';
import type { StoredMessage } from './chat-api.js';
import {
  type RelayAck,
  type RelayClient,
  RelayRefusedError,
  type RelayStatus,
} from './chat-relay.js';
import {
  createMemoryOutboxStorage,
  createMemoryPresence,
  createOutbox,
  type OutboxStorage,
  type TabPresence,
} from './outbox.js';

interface Row extends StoredMessage {
  clientMessageId: string;
}

/** The relay's store: arrival order, one row per (sender, client message id). */
function fakeServer() {
  const rows: Row[] = [];
  let ids = 0;
  const store = (from: string, to: string, payload: string, clientMessageId: string): Row => {
    const existing = rows.find((r) => r.from === from && r.clientMessageId === clientMessageId);
    if (existing) return existing;
    ids += 1;
    const row = { id: ids, from, to, payload, clientMessageId, at: new Date(ids).toISOString() };
    rows.push(row);
    return row;
  };
  return {
    rows,
    store,
    history: async (peerId: string) => ({
      messages: rows.filter((r) => r.from === peerId || r.to === peerId),
      hasMore: false,
    }),
  };
}

type Server = ReturnType<typeof fakeServer>;

/** One tab's relay client: every send is stored after `delayMs` (the wire's latency). */
function fakeRelay(server: Server, self: string, options: { delayMs?: () => number } = {}) {
  const status = new Set<(status: RelayStatus) => void>();
  const frames: { clientMessageId: string; payload: string }[] = [];
  let refuse: ((payload: string) => RelayErrorCode | undefined) | undefined;
  let hold = false;
  let closed = false;
  const held: (() => void)[] = [];
  const unsettled = new Set<(error: Error) => void>();
  const relay: RelayClient = {
    send(to, payload, clientMessageId = crypto.randomUUID()) {
      frames.push({ clientMessageId, payload });
      return new Promise<RelayAck>((resolve, reject) => {
        unsettled.add(reject);
        const deliver = () => {
          unsettled.delete(reject);
          const code = refuse?.(payload);
          if (code) return reject(new RelayRefusedError(code, `refused: ${code}`));
          const row = server.store(self, to, payload, clientMessageId);
          // After close the frame still reaches the server; its ack is lost with the page.
          if (closed) return;
          resolve({
            clientMessageId,
            id: row.id,
            at: row.at,
            ...(row.payload !== payload ? { storedPayload: row.payload } : {}),
          });
        };
        const go = () => setTimeout(deliver, options.delayMs?.() ?? 0);
        if (hold) held.push(go);
        else go();
      });
    },
    onMessage: () => () => undefined,
    onStatus(listener) {
      status.add(listener);
      return () => status.delete(listener);
    },
    status: () => 'open',
    pendingCount: () => 0,
    close() {
      // As the real client does: what waits for an ack is rejected (the page is going).
      closed = true;
      for (const reject of unsettled) reject(new Error('The chat was closed.'));
      unsettled.clear();
    },
  };
  return {
    relay,
    frames,
    emit: (value: RelayStatus) => {
      for (const listener of status) listener(value);
    },
    refuseWith(rule: typeof refuse) {
      refuse = rule;
    },
    /** Acks wait (a socket that went quiet) until `release`. */
    holdAcks() {
      hold = true;
    },
    release() {
      hold = false;
      for (const go of held.splice(0)) go();
    },
  };
}

const clock = testClock();
const services: ChatService[] = [];
afterEach(() => {
  for (const service of services.splice(0)) service.close();
});

/** Alice ('1') and Bob ('2') with keys agreed; Alice's browser storage is `alice.storage`. */
async function agreed(): Promise<{ alice: Party; bob: Party }> {
  const alice = party('1', '2', clock);
  const bob = party('2', '1', clock);
  await exchangeKeys(alice, bob);
  return { alice, bob };
}

/** One tab of Alice's: a chat service over her browser's storage and (shared) locks. */
function tab(
  alice: Party,
  relay: RelayClient,
  history: (peerId: string) => Promise<{ messages: StoredMessage[]; hasMore: boolean }>,
  extra: {
    locks?: LockManagerLike;
    outboxStorage?: OutboxStorage;
    presence?: TabPresence;
    noSendLock?: boolean;
  } = {},
) {
  const locks = extra.locks ?? alice.locks;
  const service = createChatService({
    self: { id: '1', username: 'alice' },
    relay,
    keystore: createKeystore({ storage: alice.storage, locks, userId: '1' }),
    history: (peerId) => history(peerId),
    now: clock.now,
    log: silentCryptoLog,
    ...(extra.noSendLock ? {} : { sendLocks: locks }),
    ...(extra.outboxStorage && extra.presence
      ? {
          outbox: createOutbox({
            storage: extra.outboxStorage,
            presence: extra.presence,
            userId: '1',
            now: clock.now,
          }),
        }
      : {}),
  });
  services.push(service);
  return service;
}

const texts = (service: ChatService) =>
  service
    .open('2')
    .entries()
    .map((e) => (e.kind === 'text' ? `${e.text}:${e.state}` : e.kind));

/** What Bob's browser shows for the stored rows, in server order. */
async function bobReads(bob: Party, server: Server): Promise<ReceiveOutcome['kind'][]> {
  const outcomes = await bob.newTab().decryptHistory(server.rows);
  return outcomes.map((o) => o.kind);
}

describe('two tabs of one browser send as one party', () => {
  it('both tabs send at once, one tab’s frames slower: the relay stores every counter in order', async () => {
    const { alice, bob } = await agreed();
    const server = fakeServer();
    // Tab one's frames take 20 ms to reach the relay, tab two's none: without the send lock,
    // tab two's higher counter overtakes tab one's lower one.
    const one = tab(alice, fakeRelay(server, '1', { delayMs: () => 20 }).relay, server.history);
    const two = tab(alice, fakeRelay(server, '1').relay, server.history);
    const [a, b] = [one.open('2'), two.open('2')];
    await expect.poll(() => a.loaded() && b.loaded()).toBe(true);
    for (let round = 0; round < 10; round += 1) {
      a.send(`one ${round}`);
      b.send(`two ${round}`);
    }
    await expect.poll(() => server.rows.length).toBe(20);
    const counters = server.rows.map((r) =>
      Number.parseInt(Buffer.from(JSON.parse(r.payload).iv, 'base64url').toString('hex'), 16),
    );
    expect(counters).toEqual([...counters].sort((x, y) => x - y));
    expect(await bobReads(bob, server)).toEqual(Array(20).fill('plaintext'));
    await expect
      .poll(() => [...texts(one), ...texts(two)].filter((t) => t.endsWith(':sent')).length)
      .toBe(20);
  });

  it('a burst of 50 in one tab goes in one lock grant, pipelined, in order', async () => {
    const { alice, bob } = await agreed();
    const server = fakeServer();
    const one = tab(alice, fakeRelay(server, '1', { delayMs: () => 5 }).relay, server.history);
    const view = one.open('2');
    await expect.poll(() => view.loaded()).toBe(true);
    const started = performance.now();
    for (let i = 0; i < 50; i += 1) view.send(`burst ${i}`);
    await expect.poll(() => server.rows.length).toBe(50);
    // Pipelined: 50 acks of 5 ms each would take 250 ms one by one.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await bobReads(bob, server)).toEqual(Array(50).fill('plaintext'));
  });
});

describe('the sender’s view', () => {
  it('keeps a message acknowledged while the history re-read after a reconnect was in flight', async () => {
    const { alice } = await agreed();
    const server = fakeServer();
    const wire = fakeRelay(server, '1');
    let answer: ((snapshot: () => void) => void) | undefined;
    let reads = 0;
    const service = tab(alice, wire.relay, async (peerId) => {
      reads += 1;
      // The server answers with what it holds now; the answer reaches the page later.
      const page = await server.history(peerId);
      const snapshot = { messages: [...page.messages], hasMore: false };
      if (reads === 1) return snapshot;
      return new Promise((resolve) => {
        answer = (then) => {
          resolve(snapshot);
          then();
        };
      });
    });
    const view = service.open('2');
    await expect.poll(() => view.loaded()).toBe(true);
    view.send('before');
    await expect.poll(() => texts(service)).toEqual(['before:sent']);
    wire.emit('offline');
    wire.emit('open');
    await expect.poll(() => answer).toBeDefined();
    view.send('while reading');
    await expect.poll(() => texts(service)).toEqual(['before:sent', 'while reading:sent']);
    answer?.(() => undefined);
    await expect.poll(() => reads).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(texts(service)).toEqual(['before:sent', 'while reading:sent']);
  });
});

/**
 * Alice sends `text` with keys agreed, and her page closes while the frame is on its way: the
 * server stores it, its ack is lost with the page. The outbox still holds the text.
 */
async function sentAndAckLost(text: string) {
  const { alice, bob } = await agreed();
  const server = fakeServer();
  const outboxStorage = createMemoryOutboxStorage();
  const presence = createMemoryPresence();
  const first = fakeRelay(server, '1');
  first.holdAcks();
  const before = tab(alice, first.relay, server.history, {
    outboxStorage,
    presence: presence.tab('tab-1'),
  });
  before.open('2').send(text);
  await expect.poll(() => first.frames.length).toBe(1);
  await expect.poll(() => outboxStorage.items()[0]?.wire).toBeDefined();
  before.close();
  first.relay.close();
  presence.leave('tab-1');
  first.release();
  await expect.poll(() => server.rows.length).toBe(1);
  expect(outboxStorage.items()).toHaveLength(1);
  return { alice, bob, server, outboxStorage, reloaded: presence.tab('tab-2') };
}

/**
 * Alice presses Refresh while her relay holds every ack (offline), and her page closes before
 * one comes back: the change frame waits, unsent, or reaches the server on `first.release()`.
 */
async function refreshThenClose(extra: Parameters<typeof tab>[3] = {}) {
  const { alice, bob } = await agreed();
  const server = fakeServer();
  const first = fakeRelay(server, '1');
  const before = tab(alice, first.relay, server.history, extra);
  const view = before.open('2');
  await expect.poll(() => view.loaded()).toBe(true);
  first.holdAcks();
  const refreshing = view.refresh();
  await expect.poll(() => first.frames.length).toBe(1);
  before.close();
  first.relay.close();
  return { alice, bob, server, first, refreshing };
}

describe('the outbox', () => {
  it('text typed before keys exist is sent after a reload, once, under the id chosen when typed', async () => {
    const alice = party('1', '2', clock);
    const bob = party('2', '1', clock);
    const server = fakeServer();
    const outboxStorage = createMemoryOutboxStorage();
    const presence = createMemoryPresence();
    const first = fakeRelay(server, '1');
    const before = tab(alice, first.relay, server.history, {
      outboxStorage,
      presence: presence.tab('tab-1'),
    });
    before.open('2').send('typed before keys');
    await expect.poll(() => texts(before)).toEqual(['typed before keys:queued']);
    await expect.poll(() => outboxStorage.items().length).toBe(1);
    await expect.poll(() => server.rows.length).toBe(1);
    const typedId = outboxStorage.items()[0]?.clientMessageId;
    // The page closes; meanwhile Bob answers the offer it sent.
    before.close();
    presence.leave('tab-1');
    const offer = server.rows.find((r) => JSON.parse(r.payload).type === 'kx-offer');
    if (!offer) throw new Error('no offer was sent');
    const answered = await bob.chat.receive(offer.payload);
    if (answered.kind !== 'exchange-reply') throw new Error(answered.kind);
    server.store('2', '1', answered.reply, 'reply-1');
    // The reload: a new page, the same storage.
    const second = fakeRelay(server, '1');
    const after = tab(alice, second.relay, server.history, {
      outboxStorage,
      presence: presence.tab('tab-2'),
    });
    await after.restored();
    const view = after.open('2');
    await expect.poll(() => texts(after)).toEqual(['typed before keys:sent']);
    const messages = server.rows.filter((r) => JSON.parse(r.payload).type === 'msg');
    expect(messages.map((r) => r.clientMessageId)).toEqual([typedId]);
    const read = await bob.newTab().decryptHistory(messages);
    expect(read).toMatchObject([{ kind: 'plaintext', text: 'typed before keys' }]);
    await expect.poll(() => outboxStorage.items()).toEqual([]);
    expect(view.entries()).toHaveLength(1);
  });

  it('after a reload, texts of the page before show at once even when its presence lingers a moment', async () => {
    const alice = party('1', '2', clock);
    const server = fakeServer();
    const outboxStorage = createMemoryOutboxStorage();
    const presence = createMemoryPresence();
    const before = tab(alice, fakeRelay(server, '1').relay, server.history, {
      outboxStorage,
      presence: presence.tab('tab-1'),
    });
    before.open('2').send('typed before keys');
    await expect.poll(() => outboxStorage.items().length).toBe(1);
    before.close();
    // The new page starts while the old one still holds its presence (as a Chromium reload
    // does for a moment); it goes 100 ms later.
    const after = tab(alice, fakeRelay(server, '1').relay, server.history, {
      outboxStorage,
      presence: presence.tab('tab-2'),
    });
    setTimeout(() => presence.leave('tab-1'), 100);
    await after.restored();
    // Well before the 10 s retry round, which it used to wait for (the Chromium outbox test
    // then saw an empty conversation after the reload, in a fresh-clone run).
    await expect.poll(() => texts(after), { timeout: 2_000 }).toEqual(['typed before keys:queued']);
  });

  it('text sent but not acknowledged when the page closed is resent after the reload and stored once', async () => {
    const { alice, bob, server, outboxStorage, reloaded } = await sentAndAckLost('in flight');
    const after = tab(alice, fakeRelay(server, '1').relay, server.history, {
      outboxStorage,
      presence: reloaded,
    });
    await after.restored();
    after.open('2');
    await expect.poll(() => texts(after)).toEqual(['in flight:sent']);
    expect(server.rows).toHaveLength(1);
    expect(await bobReads(bob, server)).toEqual(['plaintext']);
  });

  it('after a reload, a text stored with its ack lost shows once while its resend waits for an ack', async () => {
    // The new-user trial saw it 2 times in about 140 send-and-reload rounds in Chromium: the
    // stored copy from history ('sent') beside the text taken over ('sending') until the ack.
    const { alice, server, outboxStorage, reloaded } = await sentAndAckLost('shown once');
    const second = fakeRelay(server, '1');
    second.holdAcks();
    const after = tab(alice, second.relay, server.history, { outboxStorage, presence: reloaded });
    await after.restored();
    const view = after.open('2');
    await expect.poll(() => view.loaded()).toBe(true);
    expect(texts(after)).toEqual(['shown once:sent']);
    // The history showed it stored under its client id: nothing is left to send.
    await expect.poll(() => outboxStorage.items()).toEqual([]);
    second.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(texts(after)).toEqual(['shown once:sent']);
    expect(server.rows).toHaveLength(1);
  });

  it('after a reload, a text stored with its ack lost and taken over after the history read is not shown twice', async () => {
    const { alice, server, outboxStorage, reloaded } = await sentAndAckLost('taken over late');
    // The page before still counts as alive while the new page reads the history.
    let pageBeforeAlive = true;
    const presence: TabPresence = {
      id: reloaded.id,
      live: async () => new Set(pageBeforeAlive ? [reloaded.id, 'tab-1'] : [reloaded.id]),
    };
    const second = fakeRelay(server, '1');
    second.holdAcks();
    const after = tab(alice, second.relay, server.history, { outboxStorage, presence });
    await after.restored();
    const view = after.open('2');
    await expect.poll(() => view.loaded()).toBe(true);
    expect(texts(after)).toEqual(['taken over late:sent']);
    expect(outboxStorage.items()).toHaveLength(1);
    // Its lock is gone now: the page's next look takes the text over, and finds it stored.
    pageBeforeAlive = false;
    await expect.poll(() => outboxStorage.items(), { timeout: 5_000 }).toEqual([]);
    expect(texts(after)).toEqual(['taken over late:sent']);
    expect(second.frames).toEqual([]);
  });

  it('a resend acknowledged before the history read keeps the text, under the stored copy', async () => {
    const { alice, bob, server, outboxStorage, reloaded } =
      await sentAndAckLost('the ack got lost');
    // The reloaded page's history read answers only after the resend was acknowledged (the
    // order the Chromium outbox test met once in a fresh-clone run).
    const second = fakeRelay(server, '1');
    let acked = 0;
    const counting: RelayClient = {
      ...second.relay,
      send: (...args) =>
        second.relay.send(...args).then((ack) => {
          acked += 1;
          return ack;
        }),
    };
    const after = tab(
      alice,
      counting,
      async (peerId) => {
        await expect.poll(() => acked, { timeout: 5_000 }).toBe(1);
        return server.history(peerId);
      },
      { outboxStorage, presence: reloaded },
    );
    after.open('2');
    await expect.poll(() => acked).toBe(1);
    await expect.poll(() => after.open('2').loaded()).toBe(true);
    expect(texts(after)).toEqual(['the ack got lost:sent']);
    expect(server.rows).toHaveLength(1);
    // Bob's delivery receipt names the stored copy: Alice's browser takes it.
    const [stored] = server.rows;
    if (!stored) throw new Error('nothing stored');
    const read = await bob.chat.receive(stored.payload, stored.id);
    expect(read.kind).toBe('plaintext');
    const receipt = await bob.chat.encryptReceipt('delivered', stored.id);
    if (receipt.kind !== 'encrypted') throw new Error(receipt.kind);
    const receiptRow = server.store('2', '1', receipt.wire, 'receipt-1');
    const outcomes = await alice.newTab().decryptHistory([stored, receiptRow]);
    expect(outcomes.map((o) => o.kind)).toEqual(['plaintext', 'receipt']);
  });

  it('a Refresh whose change never reached the relay before the page closed goes first from the next page', async () => {
    const outboxStorage = createMemoryOutboxStorage();
    const presence = createMemoryPresence();
    // Offline: the change waits in the relay client, and the page closes before it goes.
    const { alice, bob, server, refreshing } = await refreshThenClose({
      outboxStorage,
      presence: presence.tab('tab-1'),
    });
    presence.leave('tab-1');
    expect(await refreshing).toBe('changed');
    expect(server.rows).toEqual([]);
    const after = tab(alice, fakeRelay(server, '1').relay, server.history, {
      outboxStorage,
      presence: presence.tab('tab-2'),
    });
    after.open('2').send('under the new keys');
    await expect.poll(() => texts(after)).toEqual(['keys-changed', 'under the new keys:sent']);
    // Bob learns the new epoch before he reads the text under it.
    expect(await bobReads(bob, server)).toEqual(['keys-changed', 'plaintext']);
  });

  it('a Refresh stored with its ack lost is sent again under its client id and stored once', async () => {
    const { alice, bob, server, first, refreshing } = await refreshThenClose();
    first.release();
    await refreshing;
    await expect.poll(() => server.rows.length).toBe(1);
    const second = fakeRelay(server, '1');
    const after = tab(alice, second.relay, server.history);
    const reopened = after.open('2');
    await expect.poll(() => reopened.loaded()).toBe(true);
    // The page looks: the change is sent again (its ack was lost), and the server keeps one.
    await expect.poll(() => second.frames.length).toBe(1);
    expect(second.frames[0]?.clientMessageId).toBe(first.frames[0]?.clientMessageId);
    reopened.send('next');
    await expect.poll(() => texts(after)).toEqual(['keys-changed', 'next:sent']);
    expect(await bobReads(bob, server)).toEqual(['keys-changed', 'plaintext']);
  });

  it('a transient failure never shows "not sent"; a permanent refusal does, and Retry sends it', async () => {
    const { alice, bob } = await agreed();
    const server = fakeServer();
    const wire = fakeRelay(server, '1');
    const service = tab(alice, wire.relay, server.history);
    const view = service.open('2');
    await expect.poll(() => view.loaded()).toBe(true);
    wire.refuseWith(() => 'payload_too_large');
    view.send('refused');
    await expect.poll(() => texts(service)).toEqual(['refused:failed']);
    wire.refuseWith(undefined);
    view.send('next');
    await expect.poll(() => texts(service)).toEqual(['next:sent', 'refused:failed']);
    const failed = view.entries().find((e) => e.kind === 'text' && e.state === 'failed');
    view.retry(failed?.key ?? '');
    await expect.poll(() => texts(service)).toEqual(['next:sent', 'refused:sent']);
    // Retried under a fresh counter: Bob reads both, in order.
    expect(await bobReads(bob, server)).toEqual(['plaintext', 'plaintext']);
  });
});
