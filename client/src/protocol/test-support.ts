/**
 * Helpers for the protocol's tests (never imported by production code; the purity test keeps
 * it that way): parties over the real keystore and in-memory storage, a settable clock, and a
 * key exchange run to completion.
 */
import { createKeystore, type Keystore } from '../keystore/keystore.js';
import { createMemoryLocks, type LockManagerLike } from '../keystore/locks.js';
import { createMemoryStorage, type StorageLike } from '../keystore/storage.js';
import { type Conversation, createConversation, type StoredEntry } from './conversation.js';
import { type CryptoLog, silentCryptoLog } from './crypto-log.js';
import { AuthenticationError } from './errors.js';
import { type DirectionKeyHandles, decryptMessage, verifyMessageMac } from './message-crypto.js';
import type { ChatMessage } from './schema.js';

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface TestClock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function testClock(start = T0): TestClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
    set: (ms) => {
      time = ms;
    },
  };
}

/** One user in one browser profile (storage + locks), with a tab open on a conversation. */
export interface Party {
  self: string;
  peer: string;
  storage: StorageLike & { entries(): [string, string][] };
  locks: LockManagerLike;
  keystore: Keystore;
  chat: Conversation;
  /** Opens another tab (a new Conversation object) on the same storage and locks. */
  newTab(options?: { locks?: LockManagerLike; log?: CryptoLog }): Conversation;
}

export function party(
  self: string,
  peer: string,
  clock: TestClock,
  options: { log?: CryptoLog; storage?: ReturnType<typeof createMemoryStorage> } = {},
): Party {
  const storage = options.storage ?? createMemoryStorage();
  const locks = createMemoryLocks();
  const open = (tabLocks: LockManagerLike, log: CryptoLog) =>
    createConversation({
      self,
      peer,
      store: createKeystore({ storage, locks: tabLocks, userId: self }).conversation(peer),
      now: clock.now,
      log,
    });
  const log = options.log ?? silentCryptoLog;
  return {
    self,
    peer,
    storage,
    locks,
    keystore: createKeystore({ storage, locks, userId: self }),
    chat: open(locks, log),
    newTab: (tab = {}) => open(tab.locks ?? locks, tab.log ?? log),
  };
}

/** Runs a key exchange initiated by `initiator`; returns the offer and reply wire texts. */
export async function exchangeKeys(
  initiator: Party,
  responder: Party,
): Promise<{ offer: string; reply: string }> {
  const started = await initiator.chat.startKeyExchange({ force: true });
  if (started.kind !== 'offer') throw new Error(`expected an offer, got ${started.kind}`);
  const answered = await responder.chat.receive(started.offer);
  const reply =
    answered.kind === 'exchange-reply' || answered.kind === 'keys-reset'
      ? answered.reply
      : undefined;
  if (reply === undefined) throw new Error(`expected a reply, got ${answered.kind}`);
  const completed = await initiator.chat.receive(reply);
  if (completed.kind !== 'exchange-complete' && completed.kind !== 'keys-reset') {
    throw new Error(`expected completion, got ${completed.kind}`);
  }
  return { offer: started.offer, reply };
}

/** Wire texts as the relay's history returns them: relay ids `firstId`, `firstId + 1`, … */
export function asStored(wires: readonly unknown[], firstId = 1): StoredEntry[] {
  return wires.map((payload, i) => ({ id: firstId + i, payload }));
}

/** Encrypts `text` and fails the test if there were no keys. */
export async function send(from: Conversation, text: string): Promise<string> {
  const sent = await from.encrypt(text);
  if (sent.kind !== 'encrypted') throw new Error(`expected encryption, got ${sent.kind}`);
  return sent.wire;
}

/**
 * MAC check then decryption of one chat text, with no IV order: what a conversation does on
 * receiving (conversation.ts), minus the state. Throws AuthenticationError.
 */
export async function openMessage(
  message: ChatMessage,
  keys: DirectionKeyHandles,
  log: CryptoLog,
): Promise<string> {
  if (!(await verifyMessageMac(message, keys, log))) throw new AuthenticationError();
  return decryptMessage(message, keys, log);
}
