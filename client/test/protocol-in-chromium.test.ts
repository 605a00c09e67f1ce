/**
 * The E2EE protocol running in Chromium's own WebCrypto, localStorage and Web Locks, talking
 * to a party running in Node's WebCrypto: the two implementations must agree on every byte.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../test/support/browser.js';
import { bundleProtocol, serveProtocolPage } from '../../test/support/protocol-bundle.js';
import { createKeystore, createMemoryLocks, createMemoryStorage } from '../src/keystore/index.js';
import { type Conversation, createConversation, silentCryptoLog } from '../src/protocol/index.js';

const ORIGIN = 'http://localhost:4173';
const ALICE = '1';
const BOB = '2';

let browser: Browser;
let context: BrowserContext;
let bundle: string;

beforeAll(async () => {
  [browser, bundle] = await Promise.all([launchChromium(), bundleProtocol()]);
  context = await browser.newContext();
  await serveProtocolPage(context, ORIGIN, bundle);
});

afterAll(async () => {
  await browser?.close();
});

/** A tab of Alice's: a page with the protocol loaded and a conversation with Bob open. */
async function openAliceTab(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => document.title === 'ready');
  await page.evaluate(
    ([self, peer]) => {
      const p = (
        window as unknown as { parley: typeof import('../../test/support/protocol-entry.js') }
      ).parley;
      const keystore = p.createKeystore({
        storage: localStorage,
        locks: p.webLocks(navigator.locks),
        fence: p.indexedDbFence(indexedDB),
        userId: self,
      });
      (window as unknown as { chat: unknown }).chat = p.createConversation({
        self,
        peer,
        store: keystore.conversation(peer),
        now: () => Date.now(),
        log: p.createCryptoLog({ enabled: true }),
      });
    },
    [ALICE, BOB] as const,
  );
  return page;
}

/** Calls a Conversation method in the page and returns its (JSON-serialisable) outcome. */
function inPage<T>(page: Page, method: keyof Conversation, argument?: unknown): Promise<T> {
  return page.evaluate(
    ([name, arg]) => {
      const chat = (
        window as unknown as { chat: Record<string, (a?: unknown) => Promise<unknown>> }
      ).chat;
      return chat[name as string]!(arg) as Promise<never>;
    },
    [method, argument] as const,
  );
}

function nodeBob(): Conversation {
  const keystore = createKeystore({
    storage: createMemoryStorage(),
    locks: createMemoryLocks(),
    userId: BOB,
  });
  return createConversation({
    self: BOB,
    peer: ALICE,
    store: keystore.conversation(ALICE),
    now: Date.now,
    log: silentCryptoLog,
  });
}

describe('protocol in Chromium ↔ protocol in Node', () => {
  let alice: Page;
  const bob = nodeBob();
  const consoleLines: string[] = [];

  it('agree on a P-384 key exchange started in the browser', async () => {
    alice = await openAliceTab();
    alice.on('console', (message) => consoleLines.push(message.text()));
    const started = await inPage<{ kind: string; offer: string }>(alice, 'startKeyExchange', {
      force: true,
    });
    expect(started.kind).toBe('offer');
    const replied = await bob.receive(started.offer);
    expect(replied.kind).toBe('exchange-reply');
    if (replied.kind !== 'exchange-reply') return;
    const completed = await inPage<{ kind: string }>(alice, 'receive', replied.reply);
    expect(completed.kind).toBe('exchange-complete');
  });

  it('exchange UTF-8 messages both ways', async () => {
    const sent = await inPage<{ kind: string; wire: string }>(alice, 'encrypt', 'héllo Bob 👋');
    expect(sent.kind).toBe('encrypted');
    const atBob = await bob.receive(sent.wire);
    expect(atBob).toMatchObject({ kind: 'plaintext', from: ALICE, text: 'héllo Bob 👋' });

    const reply = await bob.encrypt('hi Alice — ça va ?');
    expect(reply.kind).toBe('encrypted');
    if (reply.kind !== 'encrypted') return;
    const atAlice = await inPage<{ kind: string; text: string }>(alice, 'receive', reply.wire);
    expect(atAlice).toMatchObject({ kind: 'plaintext', from: BOB, text: 'hi Alice — ça va ?' });
  });

  it('log every crypto operation to the browser console', () => {
    const crypto = consoleLines.filter((line) => line.startsWith('[parley-crypto]'));
    expect(crypto.length).toBeGreaterThan(5);
    expect(crypto.join('\n')).toContain('héllo Bob 👋');
    expect(crypto.some((line) => /\biv=0{10,}01\b/.test(line))).toBe(true);
  });

  it('keep keys in localStorage across a reload', async () => {
    await alice.reload();
    await alice.waitForFunction(() => document.title === 'ready');
    await alice.close();
    alice = await openAliceTab();
    const status = await inPage<{ state: string }>(alice, 'status');
    expect(status.state).toBe('ready');
    const later = await bob.encrypt('after your reload');
    if (later.kind !== 'encrypted') throw new Error(later.kind);
    expect(await inPage(alice, 'receive', later.wire)).toMatchObject({
      kind: 'plaintext',
      text: 'after your reload',
    });
  });

  it('never reuse an IV when two tabs send at once (Web Locks + commit fence)', async () => {
    // Tabs read localStorage from per-renderer caches that other tabs' writes reach late; without
    // the commit fence this reused a counter in about one run in six. Three rounds of 2 × 15.
    const second = await openAliceTab();
    const sendMany = (page: Page, prefix: string) =>
      page.evaluate(async (label) => {
        const chat = (window as unknown as { chat: Conversation }).chat;
        const out: { wire: string; counter: number }[] = [];
        await Promise.all(
          Array.from({ length: 15 }, async (_, i) => {
            const result = await chat.encrypt(`${label}-${i}`);
            if (result.kind === 'encrypted')
              out.push({ wire: result.wire, counter: result.counter });
          }),
        );
        return out;
      }, prefix);
    for (let round = 0; round < 3; round += 1) {
      const [one, two] = await Promise.all([
        sendMany(alice, `r${round}-tab1`),
        sendMany(second, `r${round}-tab2`),
      ]);
      const all = [...one, ...two];
      expect(all).toHaveLength(30);
      expect(new Set(all.map((item) => item.counter)).size).toBe(30);
      // In counter order, Bob accepts every one of them.
      for (const item of all.sort((a, b) => a.counter - b.counter)) {
        expect((await bob.receive(item.wire)).kind).toBe('plaintext');
      }
    }
    await second.close();
  });
});
